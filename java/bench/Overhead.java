// Overhead — the Java binding's cost per call over the C API (compare with overhead.c,
// which makes the same calls from C): one short text, a batch of image files, and a call
// that does no work (logitScale) to show the bare JNI crossing. Warm-up, then min/median/max.
//
//   java -Dclipkit.jni=build/java/libclipkit_jni.so -cp build/java/clipkit.jar:build/java/clipkit_bench.jar \
//       Overhead MODEL VOCAB THREADS IMAGE...
//
// Measured (tiny fixture model, 1 thread, 2 shared cores under load, median): logitScale
// 0.09 us vs C 0.03 us; embedTexts("a dog") 32.5 us vs C 28.6 us (about 3-4 us of binding:
// UTF-8 encoding, array copies, the row split); 16 image files: within the noise of ~80-110 ms.
import java.util.Arrays;
import java.util.List;

import top.clipkit.Model;
import top.clipkit.Options;

public final class Overhead {
  interface Call {
    void run();
  }

  static void time(String name, int iterations, Call call) {
    for (int i = 0; i < Math.max(3, iterations / 10); ++i) call.run();
    double[] us = new double[iterations];
    for (int i = 0; i < iterations; ++i) {
      long t = System.nanoTime();
      call.run();
      us[i] = (System.nanoTime() - t) / 1e3;
    }
    Arrays.sort(us);
    System.out.printf("java %-28s min %10.2f us  median %10.2f us  max %10.2f us  (%d calls)%n", name, us[0],
        us[iterations / 2], us[iterations - 1], iterations);
  }

  public static void main(String[] args) {
    List<String> images = Arrays.asList(args).subList(3, args.length);
    try (Model model = Model.load(args[0], new Options().vocab(args[1]).threads(Integer.parseInt(args[2])))) {
      float[] sink = new float[1];
      time("logitScale (no work)", 100000, () -> sink[0] += model.logitScale());
      time("embedTexts(\"a dog\")", 2000, () -> sink[0] += model.embedTexts(List.of("a dog"), true)[0][0]);
      time("embedImageFiles(" + images.size() + " files)", 30,
          () -> sink[0] += model.embedImageFiles(images, true)[0][0]);
      System.out.println("(sink " + sink[0] + ")");
    }
  }
}
