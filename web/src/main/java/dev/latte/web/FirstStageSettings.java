package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Which first stages a live index maintains, and when it trains them: the first time the index
 * holds {@code trainAfterDocuments} documents (their parameters, e.g. XTR centroids, need data to
 * be trained on), or when asked. Kept in {@value #FILE} in the index folder.
 */
record FirstStageSettings(List<String> stages, int trainAfterDocuments) {
  static final String FILE = "latte-first-stages.json";
  static final ObjectMapper JSON = new ObjectMapper();
  static final int DEFAULT_TRAIN_AFTER = 1000;
  static final FirstStageSettings NONE = new FirstStageSettings(List.of(), DEFAULT_TRAIN_AFTER);

  FirstStageSettings {
    stages = List.copyOf(stages);
    if (trainAfterDocuments < 1) throw new IllegalArgumentException("train after >= 1 document");
  }

  FirstStageSettings with(List<String> more) {
    List<String> all = new ArrayList<>(stages);
    for (String s : more) if (!all.contains(s)) all.add(s);
    return new FirstStageSettings(all, trainAfterDocuments);
  }

  FirstStageSettings without(String stage) {
    List<String> all = new ArrayList<>(stages);
    all.remove(stage);
    return new FirstStageSettings(all, trainAfterDocuments);
  }

  /**
   * Parses {@code first_stages} (an array of names, or "all") and {@code train_after_documents}
   * from a request body; absent fields keep {@code base}'s. 400 naming the field when invalid.
   */
  static FirstStageSettings parse(JsonNode body, FirstStageSettings base) {
    List<String> stages = base.stages();
    JsonNode f = body.get("first_stages");
    if (f != null && !f.isNull()) {
      List<String> names = new ArrayList<>();
      if (f.isTextual() && f.textValue().equals("all")) {
        names.addAll(FirstStages.parse("all")); // the stock baseline only when named
      } else if (f.isArray()) {
        for (int i = 0; i < f.size(); i++) {
          JsonNode s = f.get(i);
          if (!s.isTextual() || !FirstStages.builders().containsKey(s.textValue()))
            throw Refusal.invalid(
                "invalid_request",
                "first_stages["
                    + i
                    + "] must be one of "
                    + String.join(", ", FirstStages.builders().keySet()));
          if (!names.contains(s.textValue())) names.add(s.textValue());
        }
      } else {
        throw Refusal.invalid(
            "invalid_request",
            "\"first_stages\" must be an array of names ("
                + String.join(", ", FirstStages.builders().keySet())
                + ") or \"all\"");
      }
      stages = names;
    }
    int after = base.trainAfterDocuments();
    JsonNode t = body.get("train_after_documents");
    if (t != null && !t.isNull()) {
      after = (int) ClientInput.integer(t, "train_after_documents", 1, 100_000_000);
    }
    return new FirstStageSettings(stages, after);
  }

  static FirstStageSettings read(Path index, ObjectMapper json) throws IOException {
    Path f = index.resolve(FILE);
    if (!Files.exists(f)) return NONE;
    JsonNode n = json.readTree(f.toFile());
    List<String> stages = new ArrayList<>();
    for (JsonNode s : n.path("first_stages")) stages.add(s.asText());
    return new FirstStageSettings(
        stages, n.path("train_after_documents").asInt(DEFAULT_TRAIN_AFTER));
  }

  /** Writes the file atomically (a crash leaves the old or the new one). */
  void write(Path index, ObjectMapper json) throws IOException {
    ObjectNode n = json.createObjectNode();
    var a = n.putArray("first_stages");
    stages.forEach(a::add);
    n.put("train_after_documents", trainAfterDocuments);
    Path tmp = index.resolve(FILE + ".tmp");
    Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    Files.move(tmp, index.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
  }
}
