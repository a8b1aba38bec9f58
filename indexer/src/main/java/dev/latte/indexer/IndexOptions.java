package dev.latte.indexer;

import dev.latte.core.codec.TokenCodec;

/**
 * How token matrices are stored: the codec of each vector and the token-pooling factor applied
 * before coding (1 = no pooling). Fixed per index; recorded in its metadata.
 */
public record IndexOptions(TokenCodec codec, int poolFactor) {
  public static final IndexOptions DEFAULT = new IndexOptions(TokenCodec.FLOAT32, 1);

  /**
   * What a new index gets when no codec or pooling is named — {@code ./latte index} and the Spark
   * job alike: residual-2, pooled 2 (chosen on SciFact's train queries, README "The default
   * index").
   */
  public static final IndexOptions NEW_INDEX = new IndexOptions(TokenCodec.RESIDUAL_2, 2);

  public IndexOptions {
    if (codec == null) throw new IllegalArgumentException("codec must not be null");
    if (poolFactor < 1)
      throw new IllegalArgumentException("pool factor must be >= 1, got " + poolFactor);
  }

  /** Short label such as {@code float16-p2}, used in folder names and tables. */
  public String label() {
    return codec.cliName() + "-p" + poolFactor;
  }
}
