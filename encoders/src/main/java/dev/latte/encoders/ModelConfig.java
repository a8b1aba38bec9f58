package dev.latte.encoders;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The conventions of one token-encoder model, read from {@code latte-model.json} in its folder.
 * This is where a ColBERT or XTR export declares its markers, [MASK] augmentation and lengths:
 * nothing about a model is hard-coded in the engine.
 *
 * <pre>{@code
 * {
 *   "name": "colbertv2.0",              // shown in index metadata and logs
 *   "dimension": 128,                   // width of one token vector
 *   "output": "last_hidden_state",      // ONNX output holding [batch, tokens, dimension]
 *   "model_file": "model.onnx", "tokenizer_file": "tokenizer.json",
 *   "query_prefix": "", "document_prefix": "",      // text prepended before tokenising
 *   "query_marker": "[unused0]", "document_marker": "[unused1]",  // token inserted after [CLS]
 *   "query_max_length": 32, "document_max_length": 180,           // in tokens, specials included
 *   "query_augmentation": true,         // pad queries with mask_token up to query_max_length
 *   "mask_token": "[MASK]", "attend_to_mask_tokens": false,
 *   "skip_punctuation": true,           // drop punctuation tokens from documents (ColBERT skiplist)
 *   "keep_special_tokens": true,        // keep [CLS]/[SEP] rows in documents
 *   "normalize": true                   // L2-normalise each token vector
 * }
 * }</pre>
 *
 * Queries keep every position they are encoded with (specials, marker, masks), as ColBERT does.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelConfig(
    @JsonProperty(required = true) String name,
    @JsonProperty(required = true) int dimension,
    String output,
    String modelFile,
    String tokenizerFile,
    String queryPrefix,
    String documentPrefix,
    String queryMarker,
    String documentMarker,
    Integer queryMaxLength,
    Integer documentMaxLength,
    Boolean queryAugmentation,
    String maskToken,
    Boolean attendToMaskTokens,
    Boolean skipPunctuation,
    Boolean keepSpecialTokens,
    Boolean normalize) {

  public static final String FILE_NAME = "latte-model.json";

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /** Fills in defaults so that callers never see a null. */
  public ModelConfig {
    output = output == null ? "last_hidden_state" : output;
    modelFile = modelFile == null ? "model.onnx" : modelFile;
    tokenizerFile = tokenizerFile == null ? "tokenizer.json" : tokenizerFile;
    queryPrefix = queryPrefix == null ? "" : queryPrefix;
    documentPrefix = documentPrefix == null ? "" : documentPrefix;
    queryMaxLength = queryMaxLength == null ? 32 : queryMaxLength;
    documentMaxLength = documentMaxLength == null ? 256 : documentMaxLength;
    queryAugmentation = queryAugmentation != null && queryAugmentation;
    maskToken = maskToken == null ? "[MASK]" : maskToken;
    attendToMaskTokens = attendToMaskTokens != null && attendToMaskTokens;
    skipPunctuation = skipPunctuation == null || skipPunctuation;
    keepSpecialTokens = keepSpecialTokens == null || keepSpecialTokens;
    normalize = normalize == null || normalize;
  }

  /** Reads and validates {@code folder/latte-model.json}. */
  public static ModelConfig read(Path folder) {
    Path file = folder.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(
          "model folder "
              + folder
              + " has no "
              + FILE_NAME
              + ": write one naming at least \"name\" and \"dimension\" (see the README, section Models)");
    }
    ModelConfig config;
    try {
      config = MAPPER.readValue(file.toFile(), ModelConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ModelLoadException(
          file
              + ": unknown setting \""
              + e.getPropertyName()
              + "\"; known settings: "
              + e.getKnownPropertyIds());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ModelLoadException(
          file + " is not a valid model config: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
    }
    config.validate(file);
    return config;
  }

  void validate(Path file) {
    List<String> problems = new ArrayList<>();
    if (name.isBlank()) problems.add("\"name\" is blank");
    if (dimension <= 0 || dimension > 65535)
      problems.add("\"dimension\" must be in 1..65535, got " + dimension);
    if (queryMaxLength < 2)
      problems.add("\"query_max_length\" must be >= 2, got " + queryMaxLength);
    if (documentMaxLength < 2)
      problems.add("\"document_max_length\" must be >= 2, got " + documentMaxLength);
    if (!problems.isEmpty()) {
      throw new ModelLoadException(file + ": " + String.join("; ", problems));
    }
  }

  public String toJson() {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
