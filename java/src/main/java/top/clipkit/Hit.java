package top.clipkit;

import java.util.Arrays;

/** One search result (clipkit_hit): the file, its cosine to the query, its row id. */
public final class Hit {
  private final long id;
  private final float score;
  private final String path;
  private final byte[] pathBytes;

  Hit(long id, float score, String path, byte[] pathBytes) {
    this.id = id;
    this.score = score;
    this.path = path;
    this.pathBytes = pathBytes;
  }

  /** The file's row id in the index database. */
  public long id() {
    return id;
  }

  /** Cosine similarity to the query; higher is closer. */
  public float score() {
    return score;
  }

  /** The path for display: bytes that are not valid UTF-8 shown as U+FFFD. */
  public String path() {
    return path;
  }

  /** The path exactly as stored (the file name's bytes on Linux). */
  public byte[] pathBytes() {
    return pathBytes.clone();
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "Hit[id=%d, score=%.6f, path=%s]", id, score, path);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Hit h && h.id == id && Float.compare(h.score, score) == 0
        && Arrays.equals(h.pathBytes, pathBytes);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(id) * 31 + Arrays.hashCode(pathBytes);
  }
}
