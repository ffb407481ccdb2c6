// ImageTextSearchExample — the original Java SDK's example on top.clipkit: texts against
// one image, printing the report `clipkit classify` prints (texts, image, vector dimension,
// abbreviated unit embeddings, each text's cosine similarity, the label probabilities).
//
//   java -Dclipkit.jni=build/java/libclipkit_jni.so -cp build/java/clipkit.jar:build/java/clipkit_example.jar \
//       ImageTextSearchExample [MODEL|- [VOCAB|- [IMAGE [TEXT...]]]]
//
// MODEL "-" or absent: the embedded default model; VOCAB "-" or absent: the model's own;
// IMAGE: CLIP.png; TEXTs: "a diagram", "a dog", "a cat".
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import top.clipkit.ClipkitException;
import top.clipkit.Model;
import top.clipkit.Options;
import top.clipkit.Scoring;

public final class ImageTextSearchExample {
  public static void main(String[] args) {
    String modelPath = args.length > 0 && !args[0].equals("-") ? args[0] : null;
    String vocab = args.length > 1 && !args[1].equals("-") ? args[1] : null;
    String image = args.length > 2 ? args[2] : "CLIP.png";
    List<String> texts = args.length > 3 ? Arrays.asList(args).subList(3, args.length)
                                         : List.of("a diagram", "a dog", "a cat");
    // UTF-8 whatever the locale: the texts are printed as the CLI prints them.
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    try (Model model = Model.load(modelPath, new Options().vocab(vocab))) {
      float[] imageEmbedding = model.embedImageFiles(image)[0];        // unit vectors
      float[][] textEmbeddings = model.embedTexts(texts, true);
      float[] probs = model.labelProbs(new float[][] {imageEmbedding}, textEmbeddings)[0];

      out.println("Texts: " + jsonArray(texts));
      out.println("Image: " + image);
      out.println("Vector dimension: " + model.embedDim());
      out.println("Image embedding: " + abbreviated(imageEmbedding));
      for (int i = 0; i < texts.size(); ++i) {
        out.println("Text: " + texts.get(i));
        out.println("  Text embedding: " + abbreviated(textEmbeddings[i]));
        out.println("  Similarity: " + fixed(100.0 * cosine(imageEmbedding, textEmbeddings[i]), 2) + "%");
      }
      StringBuilder line = new StringBuilder(
          model.scoring() == Scoring.SIGMOID ? "Label scores (sigmoid, independent per label): [" : "Label probs: [");
      for (int i = 0; i < probs.length; ++i) line.append(i > 0 ? ", " : "").append(fixed(probs[i], 4));
      out.println(line.append("]"));
      out.flush();
    } catch (ClipkitException e) {
      out.flush();
      System.err.println("ImageTextSearchExample: " + e.getMessage());
      System.exit(1);
    }
  }

  // C's printf("%.Nf"): the float's exact binary value rounded half-to-even, the sign kept
  // on a negative value that rounds to zero ("-0.0000"). String.format would round the
  // shortest decimal form half-up instead, which differs in rare ties.
  static String fixed(double value, int digits) {
    String sign = (Double.doubleToRawLongBits(value) < 0) ? "-" : "";
    return sign + new BigDecimal(Math.abs(value)).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
  }

  // The first and last 3 values, as the CLI abbreviates embeddings.
  static String abbreviated(float[] values) {
    StringBuilder s = new StringBuilder("[");
    int n = values.length;
    for (int i = 0; i < n; ++i) {
      if (n > 6 && i == 3) {
        s.append("..., ");
        i = n - 3;
      }
      s.append(fixed(values[i], 4));
      if (i + 1 < n) s.append(", ");
    }
    return s.append("]").toString();
  }

  // clipkit's cosine_similarity: double sums over the floats, the result a float.
  static float cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; ++i) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return (float) (dot / (Math.sqrt(na) * Math.sqrt(nb)));
  }

  // A JSON array of strings, escaped as the CLI's JSON library writes it (UTF-8 kept).
  static String jsonArray(List<String> strings) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < strings.size(); ++i) {
      if (i > 0) s.append(',');
      s.append('"');
      for (char c : strings.get(i).toCharArray()) {
        switch (c) {
          case '"' -> s.append("\\\"");
          case '\\' -> s.append("\\\\");
          case '\b' -> s.append("\\b");
          case '\f' -> s.append("\\f");
          case '\n' -> s.append("\\n");
          case '\r' -> s.append("\\r");
          case '\t' -> s.append("\\t");
          default -> s.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
      }
      s.append('"');
    }
    return s.append("]").toString();
  }
}
