package top.clipkit;

/** How a model turns image–text cosines into label scores (clipkit_scoring). */
public enum Scoring {
  /** CLIP: a softmax over the texts; each row sums to 1. */
  SOFTMAX,
  /** SigLIP: an independent sigmoid per text. */
  SIGMOID
}
