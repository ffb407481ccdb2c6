package top.clipkit;

/** The precision of a model's matrix products (clipkit_precision). */
public enum Precision {
  /** Exact (the default). */
  FP32,
  /** Cosine >= 0.9995 to fp32. */
  BF16,
  /** Cosine >= 0.995 to fp32. */
  INT8
}
