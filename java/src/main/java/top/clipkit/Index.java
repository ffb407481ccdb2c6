package top.clipkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An image search index (clipkit_index): a database file as `clipkit index --db` makes.
 *
 * <pre>
 *   try (Model model = Model.loadDefault(); Index index = Index.open("photos.clipkit", true)) {
 *     index.addPaths(model, "photos/");
 *     for (Hit hit : index.searchText(model, "a dog on a beach", 5))
 *       System.out.println(hit.score() + " " + hit.path());
 *   }
 * </pre>
 *
 * <p>Thread-safety: count and the searches may run on many threads at once; addPaths and
 * close must not run concurrently with anything else on the same index.
 */
public final class Index implements AutoCloseable {
  private long handle;

  private Index(long handle) {
    this.handle = handle;
  }

  /** Opens an existing index, or creates it when create is true. NOT_FOUND, CORRUPT_DATA. */
  public static Index open(String path, boolean create) {
    return new Index(Native.indexOpen(Native.utf8(path, "path"), create));
  }

  /** Opens or creates. */
  public static Index open(String path) {
    return open(path, true);
  }

  private long handle() {
    if (handle == 0) throw new IllegalStateException("clipkit Index is closed");
    return handle;
  }

  @Override
  public void close() {
    if (handle != 0) {
      Native.indexFree(handle);
      handle = 0;
    }
  }

  public boolean isClosed() {
    return handle == 0;
  }

  /** Files in the index that have a vector. */
  public long count() {
    return Native.indexCount(handle());
  }

  /** What {@link #addPaths} did. */
  public record AddResult(long embedded, long errors) {}

  /**
   * Indexes folders (recursively) and image files, as `clipkit index`: new and changed
   * images are embedded with `model`, files gone from under these paths dropped,
   * unreadable files recorded (counted in errors, not thrown). INVALID_ARGUMENT for a
   * different model than the index's; NOT_FOUND for a path that does not exist.
   */
  public AddResult addPaths(Model model, List<String> paths) {
    long[] result = Native.indexAddPaths(handle(), model.nativeHandle(), Native.utf8(paths, "paths"));
    return new AddResult(result[0], result[1]);
  }

  public AddResult addPaths(Model model, String... paths) {
    return addPaths(model, Arrays.asList(paths));
  }

  /** Up to k images nearest to the text, best first. */
  public List<Hit> searchText(Model model, String text, int k) {
    return hits(Native.indexSearchText(handle(), model.nativeHandle(), Native.utf8(text, "text"), checkK(k)));
  }

  /** Up to k images nearest to the image file, best first. */
  public List<Hit> searchImage(Model model, String path, int k) {
    return hits(Native.indexSearchImageFile(handle(), model.nativeHandle(), Native.utf8(path, "path"), checkK(k)));
  }

  /** Up to k images nearest to the vector (embedDim floats, raw or unit), best first. */
  public List<Hit> searchVector(float[] vector, int k) {
    if (vector == null) throw new NullPointerException("vector is null");
    return hits(Native.indexSearchVector(handle(), vector, checkK(k)));
  }

  private static long checkK(int k) {
    if (k < 0) throw new IllegalArgumentException("k " + k + " < 0");
    return k;
  }

  private static List<Hit> hits(Object[] result) {
    long[] ids = (long[]) result[0];
    float[] scores = (float[]) result[1];
    byte[][] paths = (byte[][]) result[2];
    byte[][] display = (byte[][]) result[3];
    List<Hit> out = new ArrayList<>(ids.length);
    for (int i = 0; i < ids.length; ++i) {
      out.add(new Hit(ids[i], scores[i], new String(display[i], StandardCharsets.UTF_8), paths[i]));
    }
    return out;
  }
}
