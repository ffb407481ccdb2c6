// model/network.hpp — what clipkit::Model holds: a family's two towers behind one
// interface, so that nothing above this line branches on the family.
//
//   std::unique_ptr<Network> net = siglip::make_network(std::move(ckpt), precision, info);
//   auto img = net->encode_images(pixels, n);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "clipkit/model.hpp"

namespace clipkit::model {

class Network {
 public:
  virtual ~Network() = default;
  // pixels: count × 3 × R × R; tokens: count × context_length. Both count × embed_dim.
  virtual std::vector<float> encode_images(const float* pixels, size_t count) const = 0;
  virtual std::vector<float> encode_tokens(const int32_t* tokens, size_t count) const = 0;
};

// A family's weights and its two free functions as a Network:
//   std::make_unique<NetworkOf<Weights>>(std::move(w), encode_images, encode_tokens)
template <class Weights>
class NetworkOf final : public Network {
 public:
  using Images = std::vector<float> (*)(const Weights&, const float*, size_t);
  using Tokens = std::vector<float> (*)(const Weights&, const int32_t*, size_t);
  NetworkOf(Weights&& weights, Images images, Tokens tokens)
      : weights_(std::move(weights)), images_(images), tokens_(tokens) {}
  std::vector<float> encode_images(const float* pixels, size_t count) const override {
    return images_(weights_, pixels, count);
  }
  std::vector<float> encode_tokens(const int32_t* tokens, size_t count) const override {
    return tokens_(weights_, tokens, count);
  }

 private:
  Weights weights_;
  Images images_;
  Tokens tokens_;
};

// A family's loader returns the network and what the model reports about it.
struct Loaded {
  std::unique_ptr<Network> network;
  ModelConfig config;
  float logit_scale = 1.0f, logit_bias = 0.0f;
  // A text tower without an image tower (M-CLIP): only loadable as a text model.
  bool text_only = false;
};

// A family's Loaded: `config` as the model reports it, its logit scale, and the weights
// with their two encode functions as the network.
template <class Weights>
Loaded make_loaded(Weights&& weights, const ModelConfig& config, float logit_scale,
                   typename NetworkOf<Weights>::Images images, typename NetworkOf<Weights>::Tokens tokens) {
  Loaded loaded;
  loaded.config = config;
  loaded.logit_scale = logit_scale;
  loaded.network = std::make_unique<NetworkOf<Weights>>(std::move(weights), images, tokens);
  return loaded;
}

}  // namespace clipkit::model
