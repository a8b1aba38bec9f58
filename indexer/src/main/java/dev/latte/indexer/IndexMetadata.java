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
 * @param firstRowIsSpecial row 0 of every document is a [CLS]/marker token (pooling keeps it)
 * @param codec token codec name ({@code float32}, {@code float16}, {@code int8}, {@code bit})
 * @param poolFactor token pooling factor applied at indexing time (1 = none)
 * @param source where the documents came from (a path), for provenance
 * @param sourceFingerprint size and modification time of the source when it was indexed, so that
 *     {@code eval} reuses an index only for the same collection
 */
public record IndexMetadata(
    int layoutVersion,
    String modelName,
    String modelFingerprint,
    int dimension,
    boolean firstRowIsSpecial,
    String codec,
    int poolFactor,
    float bm25K1,
    float bm25B,
    String source,
    String sourceFingerprint) {

  public IndexMetadata {
    // Layout-1 metadata written before pooling existed carries no pool factor: it was 1.
    if (poolFactor == 0) poolFactor = 1;
    if (codec == null) codec = "float32";
  }

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * False for an index of precomputed vectors ({@link ModelIdentity#precomputed}): no model can
   * encode its queries, which must come as vectors.
   */
  public boolean hasModel() {
    return modelFingerprint == null || !modelFingerprint.startsWith(ModelIdentity.PRECOMPUTED);
  }

  public IndexOptions options() {
    return new IndexOptions(dev.latte.core.codec.TokenCodec.fromName(codec), poolFactor);
  }

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
