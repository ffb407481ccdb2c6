/* overhead.c — the calls Overhead.java makes, straight on the C API, to measure the Java
 * binding's cost per call: the same model, threads, text and image files.
 *   java_overhead_c MODEL VOCAB THREADS IMAGE... */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clipkit/clipkit.h"

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

typedef void (*call_fn)(void* context);

static void time_call(const char* name, int iterations, call_fn call, void* context) {
  for (int i = 0; i < (iterations / 10 > 3 ? iterations / 10 : 3); ++i) call(context);
  double* us = malloc(sizeof(double) * (size_t)iterations);
  for (int i = 0; i < iterations; ++i) {
    double t = now_us();
    call(context);
    us[i] = now_us() - t;
  }
  qsort(us, (size_t)iterations, sizeof(double), by_value);
  printf("c    %-28s min %10.2f us  median %10.2f us  max %10.2f us  (%d calls)\n", name, us[0],
         us[iterations / 2], us[iterations - 1], iterations);
  free(us);
}

typedef struct {
  clipkit_model* model;
  const char* const* images;
  size_t image_count;
  float* out;
  size_t out_count;
  float sink;
} context;

static void logit_scale(void* p) {
  context* c = p;
  float scale;
  clipkit_model_logit_scale(c->model, &scale);
  c->sink += scale;
}

static void one_text(void* p) {
  context* c = p;
  const char* text = "a dog";
  if (clipkit_embed_texts(c->model, &text, 1, 1, c->out, c->out_count) != CLIPKIT_OK) abort();
  c->sink += c->out[0];
}

static void image_files(void* p) {
  context* c = p;
  if (clipkit_embed_image_files(c->model, c->images, c->image_count, 1, c->out, c->out_count) != CLIPKIT_OK) abort();
  c->sink += c->out[0];
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: java_overhead_c MODEL VOCAB THREADS IMAGE...\n");
    return 2;
  }
  clipkit_load_options options;
  clipkit_load_options_init(&options);
  options.vocab = argv[2];
  options.threads = atoi(argv[3]);
  context c = {0};
  if (clipkit_model_load(argv[1], &options, &c.model) != CLIPKIT_OK) {
    fprintf(stderr, "%s\n", clipkit_last_error());
    return 1;
  }
  int32_t dim;
  clipkit_model_embed_dim(c.model, &dim);
  c.images = (const char* const*)(argv + 4);
  c.image_count = (size_t)(argc - 4);
  c.out_count = c.image_count * (size_t)dim;
  c.out = malloc(sizeof(float) * c.out_count);
  char name[64];
  snprintf(name, sizeof name, "embed_image_files(%zu files)", c.image_count);
  time_call("logit_scale (no work)", 100000, logit_scale, &c);
  time_call("embed_texts(\"a dog\")", 2000, one_text, &c);
  time_call(name, 30, image_files, &c);
  printf("(sink %g)\n", c.sink);
  free(c.out);
  clipkit_model_free(c.model);
  return 0;
}
