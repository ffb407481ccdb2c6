/* The C API from an installed clipkit, compiled with `pkg-config --cflags --libs clipkit`:
 * loads the default model (NULL path) and scores an image against texts. Prints
 * "dim N", "prob I P" per text, then "info JSON" (clipkit_model_info_json: its "path").
 * Usage: consumer_c IMAGE TEXT... */
#include <clipkit/clipkit.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char* what) {
  fprintf(stderr, "consumer_c: %s: %s\n", what, clipkit_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: consumer_c IMAGE TEXT...\n");
    return 2;
  }
  clipkit_model* model = NULL;
  if (clipkit_model_load(NULL, NULL, &model) != CLIPKIT_OK) return fail("load");
  int32_t dim = 0;
  if (clipkit_model_embed_dim(model, &dim) != CLIPKIT_OK) return fail("embed_dim");
  const size_t count = (size_t)(argc - 2);
  float* image = malloc(sizeof(float) * (size_t)dim);
  float* texts = malloc(sizeof(float) * (size_t)dim * count);
  float* probs = malloc(sizeof(float) * count);
  const char* image_path = argv[1];
  if (!image || !texts || !probs) return 1;
  if (clipkit_embed_image_files(model, &image_path, 1, 1, image, (size_t)dim) != CLIPKIT_OK)
    return fail("embed_image_files");
  if (clipkit_embed_texts(model, (const char* const*)(argv + 2), count, 1, texts, (size_t)dim * count) != CLIPKIT_OK)
    return fail("embed_texts");
  if (clipkit_label_probs(model, image, 1, texts, count, probs, count) != CLIPKIT_OK) return fail("label_probs");
  const char* info = NULL;
  if (clipkit_model_info_json(model, &info) != CLIPKIT_OK) return fail("info_json");
  printf("version %s\ndim %d\n", clipkit_version(), (int)dim);
  for (size_t i = 0; i < count; ++i) printf("prob %zu %.6f\n", i, (double)probs[i]);
  printf("info %s\n", info);
  clipkit_model_free(model);
  free(image);
  free(texts);
  free(probs);
  return 0;
}
