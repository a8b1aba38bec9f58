package dev.latte.indexer;

import dev.latte.encoders.TokenEncoder;

/**
 * The model whose token space an index holds. Usually taken from a live encoder; when re-coding an
 * existing index's matrices there is no encoder, only the recorded identity.
 *
 * @param firstRowIsSpecial whether row 0 of a document matrix is a [CLS] or marker token (the model
 *     keeps special tokens or inserts a document marker): token pooling protects it
 */
public record ModelIdentity(
    String name,
    String fingerprint,
    int dimension,
    boolean firstRowIsSpecial,
    TokenEncoder encoder) {
  public static ModelIdentity of(TokenEncoder e) {
    var c = e.config();
    return new ModelIdentity(
        c.name(),
        e.fingerprint(),
        c.dimension(),
        c.keepSpecialTokens() || c.documentMarker() != null,
        e);
  }

  /** Fingerprint prefix of an index of precomputed vectors: no model encodes its queries. */
  public static final String PRECOMPUTED = "precomputed:";

  /**
   * The token space of precomputed vectors indexed without a model: {@code name} labels it (e.g.
   * the model that computed them elsewhere, or "precomputed"); queries must come as vectors.
   */
  public static ModelIdentity precomputed(String name, int dimension) {
    return new ModelIdentity(name, PRECOMPUTED + name + ":" + dimension, dimension, false, null);
  }

  /** The model recorded in an index, without an encoder. */
  public static ModelIdentity of(IndexMetadata m) {
    return new ModelIdentity(
        m.modelName(), m.modelFingerprint(), m.dimension(), m.firstRowIsSpecial(), null);
  }
}
