package top.clipkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An index built in a scratch folder with addPaths, searched by text, image and vector. */
class IndexTest {
  @Test
  void buildAndSearch() throws Exception {
    Path dir = Fixtures.tempDir("index");
    Path images = Files.createDirectory(dir.resolve("images"));
    for (String name : List.of("CLIP.png", "astronaut.png", "rocket.jpg")) {
      Files.copy(Path.of(Fixtures.image(name)), images.resolve(name));
    }
    // A name with non-ASCII characters and an emoji (ctest runs the JVM in C.UTF-8).
    String odd = "café \uD83D\uDC36.png";
    Files.copy(Path.of(Fixtures.image("coffee.png")), images.resolve(odd));

    try (Model model = Fixtures.loadModel(); Index index = Index.open(dir.resolve("test.clipkit").toString(), true)) {
      assertEquals(0, index.count());
      Index.AddResult added = index.addPaths(model, images.toString());
      assertEquals(new Index.AddResult(4, 0), added);
      assertEquals(4, index.count());
      assertEquals(0, index.addPaths(model, images.toString()).embedded());  // nothing changed

      // OpenAI's logits rank astronaut.png first among these for this text, at cosine 0.26237.
      List<Hit> hits = index.searchText(model, "an astronaut in a white suit", 3);
      assertEquals(3, hits.size());
      assertTrue(hits.get(0).path().endsWith("/astronaut.png"), hits.toString());
      assertEquals(0.26237, hits.get(0).score(), 1e-3);
      assertTrue(hits.get(0).score() >= hits.get(1).score() && hits.get(1).score() >= hits.get(2).score());

      hits = index.searchImage(model, images.resolve("rocket.jpg").toString(), 10);
      assertEquals(4, hits.size());
      assertTrue(hits.get(0).path().endsWith("/rocket.jpg"), hits.toString());
      assertTrue(hits.get(0).score() > 0.9999f && hits.get(0).id() > 0, hits.toString());

      float[] coffee = model.embedImageFiles(List.of(Fixtures.image("coffee.png")), false)[0];
      hits = index.searchVector(coffee, 1);
      assertEquals(1, hits.size());
      Hit hit = hits.get(0);
      assertEquals(images.resolve(odd).toString(), hit.path());
      assertArrayEquals(images.resolve(odd).toString().getBytes(StandardCharsets.UTF_8), hit.pathBytes());
      assertTrue(hit.score() > 0.9999f, hit.toString());

      ClipkitException e = assertThrows(ClipkitException.class,
          () -> index.addPaths(model, dir.resolve("gone").toString()));
      assertEquals(Status.NOT_FOUND, e.status());
      assertTrue(e.getMessage().contains("gone"), e.getMessage());
      e = assertThrows(ClipkitException.class, () -> index.searchVector(new float[5], 1));
      assertEquals(Status.INVALID_ARGUMENT, e.status());
    }
  }

  @Test
  void openingAMissingIndexWithoutCreate() throws Exception {
    String path = Fixtures.tempDir("index").resolve("missing.clipkit").toString();
    ClipkitException e = assertThrows(ClipkitException.class, () -> Index.open(path, false));
    assertEquals(Status.NOT_FOUND, e.status());
    assertTrue(e.getMessage().contains("missing.clipkit"), e.getMessage());
  }

  @Test
  void closedIndexRefusesUse() throws Exception {
    Index outer;
    try (Index index = Index.open(Fixtures.tempDir("index").resolve("closed.clipkit").toString())) {
      outer = index;
      assertEquals(0, index.count());
    }
    assertTrue(outer.isClosed());
    assertThrows(IllegalStateException.class, outer::count);
    assertThrows(IllegalStateException.class, () -> outer.searchVector(new float[32], 1));
    outer.close();
  }
}
