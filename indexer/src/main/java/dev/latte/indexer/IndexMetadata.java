package dev.latte.indexer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What an index was built with and what it holds; stored in every commit (see {@link IndexLayout}).
 *
 * @param layoutVersion {@link IndexLayout#LAYOUT_VERSION} at write time
 * @param modelName the encoder config's name
 * @param modelFingerprint hash of model files and config: queries must be encoded by the same model
 * @param dimension token vector width
 * @param codec token codec name ({@code float32})
 * @param source where the documents came from (a path), for provenance
 * @param sourceFingerprint size and modification time of the source when it was indexed, so that
 *     {@code eval} reuses an index only for the same collection
 */
public record IndexMetadata(
    int layoutVersion,
    String modelName,
    String modelFingerprint,
    int dimension,
    String codec,
    float bm25K1,
    float bm25B,
    String source,
    String sourceFingerprint) {

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public String toJson() {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static IndexMetadata fromJson(String json) {
    try {
      return MAPPER.readValue(json, IndexMetadata.class);
    } catch (IOException e) {
      throw new UncheckedIOException("index metadata is not valid JSON", e);
    }
  }

}
