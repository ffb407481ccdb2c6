package top.clipkit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A loaded CLIP model (clipkit_model): image and text embeddings, tokens, label
 * probabilities. Close it (try-with-resources) to release its native memory.
 *
 * <pre>
 *   try (Model model = Model.load("ViT-B-32.pt", new Options().vocab("bpe_simple_vocab_16e6.txt.gz"))) {
 *     float[][] image = model.embedImageFiles("CLIP.png");             // unit vectors
 *     float[][] texts = model.embedTexts("a diagram", "a dog", "a cat");
 *     float[][] probs = model.labelProbs(image, texts);                  // 1 × 3
 *   }
 * </pre>
 *
 * <p>Embeddings are float[count][embedDim()]: unit vectors by default, OpenAI's raw
 * projections (encode_image / encode_text) with normalize = false. Failures throw
 * {@link ClipkitException} with clipkit's status and message; any call after {@link #close}
 * throws IllegalStateException.
 *
 * <p>Thread-safety: a model is immutable; every method except close may run on many
 * threads at once. close must not run concurrently with other calls on the same model.
 */
public final class Model implements AutoCloseable {
  private long handle;
  private final int embedDim;
  private final int imageSize;
  private final int contextLength;
  private final Scoring scoring;

  private Model(long handle) {
    this.handle = handle;
    int[] ints = Native.modelInts(handle);
    embedDim = ints[0];
    imageSize = ints[1];
    contextLength = ints[2];
    scoring = ints[3] == 1 ? Scoring.SIGMOID : Scoring.SOFTMAX;
  }

  /**
   * Loads a checkpoint file (.pt, .bin, .safetensors) or folder (Hugging Face, open_clip)
   * with its tokenizer. path null: $CLIPKIT_MODEL, else the embedded default model.
   * options null: the defaults. Throws NOT_FOUND, CORRUPT_DATA, UNSUPPORTED, INVALID_ARGUMENT.
   */
  public static Model load(String path, Options options) {
    Options o = options != null ? options : new Options();
    long handle = Native.modelLoad(path == null ? null : Native.utf8(path, "path"),
        o.vocab == null ? null : Native.utf8(o.vocab, "vocab"),
        o.textModel == null ? null : Native.utf8(o.textModel, "textModel"), o.precision.ordinal(), o.threads,
        o.applyExifOrientation, o.maxPixels, o.truncate);
    try {
      return new Model(handle);
    } catch (RuntimeException e) {
      Native.modelFree(handle);
      throw e;
    }
  }

  public static Model load(String path) {
    return load(path, null);
  }

  /** $CLIPKIT_MODEL, else the embedded default model (emoji-clip). */
  public static Model loadDefault() {
    return load(null, null);
  }

  /** The library's version, e.g. "0.1.0". */
  public static String version() {
    return new String(Native.version(), StandardCharsets.UTF_8);
  }

  private long handle() {
    if (handle == 0) throw new IllegalStateException("clipkit Model is closed");
    return handle;
  }

  /** Releases the native model; later calls throw IllegalStateException. Idempotent. */
  @Override
  public void close() {
    if (handle != 0) {
      Native.modelFree(handle);
      handle = 0;
    }
  }

  public boolean isClosed() {
    return handle == 0;
  }

  /** Floats per embedding (512 for ViT-B/32). */
  public int embedDim() {
    handle();
    return embedDim;
  }

  /** The side of the square the image tower takes (224 for ViT-B/32). */
  public int imageSize() {
    handle();
    return imageSize;
  }

  /** Token ids per text row (77 for CLIP). */
  public int contextLength() {
    handle();
    return contextLength;
  }

  public Scoring scoring() {
    handle();
    return scoring;
  }

  /** exp(logit_scale) as stored. */
  public float logitScale() {
    return Native.modelFloats(handle())[0];
  }

  /** SigLIP's logit_bias (0 for CLIP). */
  public float logitBias() {
    return Native.modelFloats(handle())[1];
  }

  /** What was loaded, as `clipkit info --json` prints it. */
  public String infoJson() {
    return new String(Native.modelInfoJson(handle()), StandardCharsets.UTF_8);
  }

  /** Decodes (JPEG, PNG, WebP, BMP, GIF) and embeds image files: one row per path. */
  public float[][] embedImageFiles(List<String> paths, boolean normalize) {
    byte[][] bytes = Native.utf8(paths, "paths");
    if (bytes.length == 0) return new float[0][];
    return Native.rows(Native.embedImageFiles(handle(), bytes, normalize, embedDim), bytes.length, embedDim);
  }

  /** Unit vectors for image files. */
  public float[][] embedImageFiles(String... paths) {
    return embedImageFiles(Arrays.asList(paths), true);
  }

  /** One encoded image file held in memory. */
  public float[] embedImageBytes(byte[] encoded, boolean normalize) {
    if (encoded == null) throw new NullPointerException("encoded is null");
    return Native.embedImageBytes(handle(), encoded, normalize, embedDim);
  }

  public float[] embedImageBytes(byte[] encoded) {
    return embedImageBytes(encoded, true);
  }

  /**
   * One image of 8-bit RGB pixels, row-major and interleaved: height rows of width × 3
   * bytes (the length is checked). The model's resize, crop and normalization are applied.
   */
  public float[] embedImageRgb(byte[] rgb, int width, int height, boolean normalize) {
    if (rgb == null) throw new NullPointerException("rgb is null");
    return Native.embedImageRgb(handle(), rgb, width, height, normalize, embedDim);
  }

  public float[] embedImageRgb(byte[] rgb, int width, int height) {
    return embedImageRgb(rgb, width, height, true);
  }

  /** Texts through the tokenizer and text tower: one row per text. Empty text: INVALID_ARGUMENT. */
  public float[][] embedTexts(List<String> texts, boolean normalize) {
    byte[][] bytes = Native.utf8(texts, "texts");
    if (bytes.length == 0) return new float[0][];
    return Native.rows(Native.embedTexts(handle(), bytes, normalize, embedDim), bytes.length, embedDim);
  }

  /** Unit vectors for texts. */
  public float[][] embedTexts(String... texts) {
    return embedTexts(Arrays.asList(texts), true);
  }

  /** The token rows the text tower takes: int[count][contextLength()], zero-padded. */
  public int[][] tokenize(List<String> texts) {
    byte[][] bytes = Native.utf8(texts, "texts");
    if (bytes.length == 0) return new int[0][];
    int[] flat = Native.tokenize(handle(), bytes, contextLength);
    int[][] out = new int[bytes.length][];
    for (int i = 0; i < out.length; ++i) {
      out[i] = Arrays.copyOfRange(flat, i * contextLength, (i + 1) * contextLength);
    }
    return out;
  }

  public int[][] tokenize(String... texts) {
    return tokenize(Arrays.asList(texts));
  }

  /**
   * Label scores: float[images.length][texts.length], softmax over the texts (CLIP) or a
   * sigmoid per text (SigLIP). Rows are embeddings, raw or unit (scores use cosines).
   */
  public float[][] labelProbs(float[][] images, float[][] texts) {
    long model = handle();
    float[] imageFlat = Native.flat(images, embedDim, "images");
    float[] textFlat = Native.flat(texts, embedDim, "texts");
    float[] probs = Native.labelProbs(model, imageFlat, images.length, textFlat, texts.length);
    return Native.rows(probs, images.length, texts.length);
  }

  /** The native handle, for Index. */
  long nativeHandle() {
    return handle();
  }
}
