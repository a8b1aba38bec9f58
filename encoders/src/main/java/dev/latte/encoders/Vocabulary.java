package dev.latte.encoders;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Token string to id, read from {@code tokenizer.json}: its added tokens and the model vocabulary
 * (WordPiece/BPE map, or Unigram list). Needed because a marker such as {@code [unused0]} is a
 * single vocabulary entry that the tokenizer's pre-tokenizer would split if it were encoded as
 * text.
 */
final class Vocabulary {
  private Vocabulary() {}

  static Map<String, Long> read(Path tokenizerJson) {
    Map<String, Long> out = new HashMap<>();
    try {
      JsonNode root = ModelConfig.MAPPER.readTree(tokenizerJson.toFile());
      JsonNode vocab = root.path("model").path("vocab");
      if (vocab.isObject()) {
        vocab.properties().forEach(e -> out.put(e.getKey(), e.getValue().asLong()));
      } else if (vocab.isArray()) {
        for (int i = 0; i < vocab.size(); i++) out.put(vocab.get(i).path(0).asText(), (long) i);
      }
      for (JsonNode added : root.path("added_tokens")) {
        out.put(added.path("content").asText(), added.path("id").asLong());
      }
    } catch (IOException e) {
      throw new ModelLoadException(
          "cannot parse " + tokenizerJson + " as a HuggingFace tokenizer.json: " + e.getMessage(),
          e);
    }
    return out;
  }
}
