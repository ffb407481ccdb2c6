package top.clipkit;

/**
 * How to load a model (clipkit_load_options); every field starts at the C API's default.
 *
 * <pre>
 *   Options options = new Options().vocab("bpe_simple_vocab_16e6.txt.gz").threads(2);
 * </pre>
 */
public final class Options {
  String vocab;
  String textModel;
  Precision precision = Precision.FP32;
  int threads = 0;
  boolean applyExifOrientation = true;
  long maxPixels = 100_000_000L;
  boolean truncate = true;

  /** The tokenizer file; null (default): the model folder's, $CLIPKIT_VOCAB, or beside the model. */
  public Options vocab(String path) {
    this.vocab = path;
    return this;
  }

  /** A text tower from another checkpoint (M-CLIP); null (default): none. */
  public Options textModel(String path) {
    this.textModel = path;
    return this;
  }

  public Options precision(Precision precision) {
    if (precision == null) throw new NullPointerException("precision");
    this.precision = precision;
    return this;
  }

  /** Compute threads; 0 (default): all cores. */
  public Options threads(int threads) {
    if (threads < 0) throw new IllegalArgumentException("threads " + threads + " < 0");
    this.threads = threads;
    return this;
  }

  /** Rotate/flip photos as EXIF says (default true). */
  public Options applyExifOrientation(boolean apply) {
    this.applyExifOrientation = apply;
    return this;
  }

  /** Refuse larger images before decoding (default 100,000,000). */
  public Options maxPixels(long maxPixels) {
    if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels " + maxPixels + " <= 0");
    this.maxPixels = maxPixels;
    return this;
  }

  /** Over-long texts: cut (true, default) or refuse with INVALID_ARGUMENT (false). */
  public Options truncate(boolean truncate) {
    this.truncate = truncate;
    return this;
  }
}
