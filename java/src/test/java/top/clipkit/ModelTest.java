package top.clipkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Model against the reference outputs of OpenAI's code for the tiny fixture model. */
class ModelTest {
  private static Model model;

  @BeforeAll
  static void load() {
    model = Fixtures.loadModel();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static List<String> texts() {
    List<String> texts = new ArrayList<>();
    for (Object t : Fixtures.list("texts")) texts.add((String) t);
    return texts;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double cosine = Fixtures.cosine(expected, actual);
    assertTrue(cosine >= Fixtures.MIN_COSINE, what + ": cosine " + cosine + " < " + Fixtures.MIN_COSINE);
  }

  @Test
  void describesTheModel() {
    assertEquals(32, model.embedDim());
    assertEquals(64, model.imageSize());
    assertEquals(77, model.contextLength());
    assertEquals(Scoring.SOFTMAX, model.scoring());
    assertEquals(((Double) Fixtures.expected().get("logit_scale")).floatValue(), model.logitScale(), 1e-3);
    assertEquals(0.0f, model.logitBias());
    String info = model.infoJson();
    assertTrue(info.startsWith("{") && info.contains("\"embed_dim\":32") && info.contains("model.jit.pt"), info);
    assertTrue(Model.version().matches("\\d+\\.\\d+\\.\\d+.*"), Model.version());
  }

  @Test
  void rawImageEmbeddingsMatchTheReference() {
    List<Object> names = Fixtures.list("images");
    // Images without EXIF orientation (the reference transform ignores it).
    int[] rows = {names.indexOf("CLIP.png"), names.indexOf("astronaut.png"), names.indexOf("coffee.png"),
        names.indexOf("rocket.jpg")};
    List<String> paths = new ArrayList<>();
    for (int row : rows) paths.add(Fixtures.image((String) names.get(row)));
    float[][] embeddings = model.embedImageFiles(paths, false);
    assertEquals(rows.length, embeddings.length);
    for (int i = 0; i < rows.length; ++i) {
      float[] expected = Fixtures.floatRow("image_features", rows[i]);
      assertClose(expected, embeddings[i], paths.get(i));
      // Raw projections keep their length.
      assertEquals(Fixtures.norm(expected), Fixtures.norm(embeddings[i]), 1e-3 * Fixtures.norm(expected));
    }
    // The default is unit vectors in the same direction.
    float[] unit = model.embedImageFiles(paths.get(0))[0];
    assertEquals(1.0, Fixtures.norm(unit), 1e-5);
    assertClose(embeddings[0], unit, "unit CLIP.png");
  }

  @Test
  void imageBytesAndPixels() throws Exception {
    byte[] png = Files.readAllBytes(Path.of(Fixtures.image("CLIP.png")));
    assertClose(Fixtures.floatRow("image_features", 0), model.embedImageBytes(png, false), "CLIP.png bytes");
    // A flat colour is the same image at any size: 64 × 64 and 2 × 2 give one embedding.
    byte[] big = new byte[64 * 64 * 3];
    byte[] small = new byte[2 * 2 * 3];
    for (int i = 0; i < big.length; ++i) big[i] = (byte) (i % 3 == 0 ? 200 : i % 3 == 1 ? 40 : 90);
    System.arraycopy(big, 0, small, 0, small.length);
    assertClose(model.embedImageRgb(big, 64, 64), model.embedImageRgb(small, 2, 2), "flat colour");
    ClipkitException e = assertThrows(ClipkitException.class,
        () -> model.embedImageRgb(java.util.Arrays.copyOf(big, big.length - 1), 64, 64));
    assertEquals(Status.INVALID_ARGUMENT, e.status());
    assertTrue(e.getMessage().contains("12287"), e.getMessage());
    // Bytes that are no image format.
    e = assertThrows(ClipkitException.class, () -> model.embedImageBytes("not an image".getBytes("UTF-8")));
    assertEquals(Status.UNSUPPORTED, e.status(), e.getMessage());
  }

  @Test
  void rawTextEmbeddingsMatchTheReference() {
    List<String> texts = texts();
    float[][] embeddings = model.embedTexts(texts, false);
    assertEquals(texts.size(), embeddings.length);
    for (int i = 0; i < texts.size(); ++i) {
      assertClose(Fixtures.floatRow("text_features", i), embeddings[i], "text \"" + texts.get(i) + "\"");
    }
  }

  @Test
  void tokensAreExact() {
    List<String> texts = texts();
    int[][] tokens = model.tokenize(texts);
    for (int i = 0; i < texts.size(); ++i) {
      assertArrayEquals(Fixtures.intRow("tokens", i), tokens[i], "tokens of \"" + texts.get(i) + "\"");
    }
  }

  @Test
  void emojiTextGivesTheCApisTokens() {
    // Ids of clipkit's tokenizer for text with supplementary characters, as `clipkit tokenize`
    // prints them (clipkit_tokenize runs the same tokenizer). JNI's modified UTF-8 would send each emoji as two 3-byte
    // surrogates, which clipkit refuses as invalid UTF-8: this text must reach it as UTF-8.
    int[] expected = new int[77];
    int[] ids = EMOJI_TOKENS;
    System.arraycopy(ids, 0, expected, 0, ids.length);
    assertArrayEquals(expected, model.tokenize(EMOJI_TEXT)[0]);
    // The embedding goes through the same conversion.
    assertEquals(32, model.embedTexts(EMOJI_TEXT)[0].length);
  }

  static final String EMOJI_TEXT = "a \uD83D\uDC36 dog and a \uD83D\uDE3A cat \u2764\uFE0F";
  static final int[] EMOJI_TOKENS = {49406, 320, 10631, 1929, 537, 320, 40613, 2368, 1752, 49407};

  @Test
  void textsThatAreNotUtf8AreRefused() {
    ClipkitException e = assertThrows(ClipkitException.class, () -> model.embedTexts("a\0dog"));
    assertEquals(Status.INVALID_ARGUMENT, e.status());
    assertTrue(e.getMessage().contains("NUL"), e.getMessage());
    e = assertThrows(ClipkitException.class, () -> model.tokenize("half an emoji \uD83D"));
    assertEquals(Status.INVALID_ARGUMENT, e.status());
    assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
  }

  @Test
  void probabilitiesMatchTheReference() {
    float[][] images = model.embedImageFiles(List.of(Fixtures.image("CLIP.png"), Fixtures.image("astronaut.png")),
        false);
    float[][] texts = model.embedTexts(texts(), false);
    float[][] probs = model.labelProbs(images, texts);
    assertEquals(2, probs.length);
    for (int image = 0; image < 2; ++image) {
      float[] expected = Fixtures.floatRow("probs", image == 0 ? 0 : 1);
      assertEquals(expected.length, probs[image].length);
      for (int t = 0; t < expected.length; ++t) {
        assertEquals(expected[t], probs[image][t], Fixtures.PROB_TOLERANCE, "image " + image + " text " + t);
      }
    }
    ClipkitException e = assertThrows(ClipkitException.class,
        () -> model.labelProbs(images, new float[][] {new float[31]}));
    assertEquals(Status.INVALID_ARGUMENT, e.status());
  }

  @Test
  void missingFilesThrowNotFoundNamingThePath() throws Exception {
    String missing = Fixtures.tempDir("model").resolve("no-such-model.pt").toString();
    ClipkitException e = assertThrows(ClipkitException.class, () -> Model.load(missing, null));
    assertEquals(Status.NOT_FOUND, e.status());
    assertTrue(e.getMessage().contains(missing), e.getMessage());
    String image = Fixtures.image("no-such-image.png");
    e = assertThrows(ClipkitException.class, () -> model.embedImageFiles(image));
    assertEquals(Status.NOT_FOUND, e.status());
    assertTrue(e.getMessage().contains("no-such-image.png"), e.getMessage());
    e = assertThrows(ClipkitException.class, () -> model.embedTexts(""));
    assertEquals(Status.INVALID_ARGUMENT, e.status());
    assertTrue(e.getMessage().contains("empty text"), e.getMessage());
  }

  @Test
  void closedModelsRefuseUse() {
    Model outer;
    try (Model m = Fixtures.loadModel()) {
      outer = m;
      assertEquals(32, m.embedDim());
    }
    assertTrue(outer.isClosed());
    assertThrows(IllegalStateException.class, outer::embedDim);
    assertThrows(IllegalStateException.class, () -> outer.embedTexts("a dog"));
    assertThrows(IllegalStateException.class, () -> outer.embedImageFiles(Fixtures.image("CLIP.png")));
    outer.close();  // idempotent
  }

  @Test
  void oneModelOnManyThreads() throws Exception {
    float[] expected = model.embedTexts(List.of("a photo of a cat"), false)[0];
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; ++i) results.add(pool.submit(() -> model.embedTexts(List.of("a photo of a cat"), false)[0]));
      for (Future<float[]> r : results) assertArrayEquals(expected, r.get());
    } finally {
      pool.shutdown();
    }
  }
}
