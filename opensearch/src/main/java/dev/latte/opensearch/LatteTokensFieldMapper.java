package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.pooling.TokenPooler;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.BytesRef;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.ParametrizedFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.SourceValueFetcher;
import org.opensearch.index.mapper.TextSearchInfo;
import org.opensearch.index.mapper.ValueFetcher;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;
import org.opensearch.search.lookup.SearchLookup;

/**
 * The {@code latte_tokens} field: one token matrix per document, sent as {@code [[float, ...],
 * ...]} (one row per token) or as the base64 of a value in Latte's stored layout (any codec), and
 * stored, after optional Ward pooling, in Latte's byte layout ({@link
 * dev.latte.core.codec.StoredTokenMatrix}, the mapping's codec) as one binary doc value. Lucene
 * merges it like any doc values; {@code latte_maxsim} scores it in place.
 *
 * <p>Mapping parameters: {@code dims} (required, 1 to 65535), {@code codec} (float32, float16,
 * int8, bit, residual-1/2/4; default float32), {@code residual_codebook} (for a residual codec: the
 * name of a frozen codebook installed on the nodes, {@link ResidualCodebooks}), {@code pool_factor}
 * (default 1: no pooling), {@code pool_protect_first} (keep row 0, e.g. a [CLS] row, out of
 * pooling), {@code max_tokens} (rows per document before pooling, default 8192), {@code
 * xtr_centroids} (the name of frozen XTR centroids installed on the nodes, {@link XtrLists}: the
 * field then also keeps per-shard token lists for {@code latte_xtr}). None can change once the
 * field exists: stored values would no longer match.
 */
public final class LatteTokensFieldMapper extends ParametrizedFieldMapper {
  public static final String CONTENT_TYPE = "latte_tokens";
  static final int MAX_DIMS = 0xFFFF;

  private static LatteTokensFieldMapper toType(FieldMapper in) {
    return (LatteTokensFieldMapper) in;
  }

  public static final class Builder extends ParametrizedFieldMapper.Builder {
    private final Parameter<Integer> dims =
        Parameter.intParam("dims", false, m -> toType(m).settings.dims(), -1)
            .alwaysSerialize()
            .setValidator(
                d -> {
                  if (d < 1 || d > MAX_DIMS)
                    throw new IllegalArgumentException(
                        "[dims] is required and must be between 1 and "
                            + MAX_DIMS
                            + ", got "
                            + (d == -1 ? "nothing" : d));
                });
    private final Parameter<String> codec =
        Parameter.restrictedStringParam(
                "codec",
                false,
                m -> toType(m).settings.codec().cliName(),
                Arrays.stream(TokenCodec.values()).map(TokenCodec::cliName).toArray(String[]::new))
            .alwaysSerialize();
    // Residual codecs code each token against an index-wide trained codebook: installed on the
    // nodes, named here, frozen with the mapping.
    private final Parameter<String> residualCodebook =
        Parameter.stringParam(
                "residual_codebook",
                false,
                m -> toType(m).codebook == null ? null : toType(m).codebook.name(),
                null)
            .acceptsNull();
    private final Parameter<Integer> poolFactor =
        Parameter.intParam("pool_factor", false, m -> toType(m).settings.poolFactor(), 1)
            .setValidator(
                p -> {
                  if (p < 1)
                    throw new IllegalArgumentException(
                        "[pool_factor] must be at least 1 (1 = no pooling), got " + p);
                });
    private final Parameter<Boolean> protectFirst =
        Parameter.boolParam(
            "pool_protect_first", false, m -> toType(m).settings.protectFirst(), false);
    private final Parameter<Integer> maxTokens =
        Parameter.intParam("max_tokens", false, m -> toType(m).settings.maxTokens(), 8192)
            .setValidator(
                t -> {
                  if (t < 1)
                    throw new IllegalArgumentException("[max_tokens] must be at least 1, got " + t);
                });
    private final Parameter<String> xtrCentroids =
        Parameter.stringParam(
                "xtr_centroids",
                false,
                m -> toType(m).xtr == null ? null : toType(m).xtr.name(),
                null)
            .acceptsNull();
    private final Parameter<Map<String, String>> meta = Parameter.metaParam();
    private final XtrLists lists;
    private final ResidualCodebooks codebooks;

    public Builder(String name, XtrLists lists, ResidualCodebooks codebooks) {
      super(name);
      this.lists = lists;
      this.codebooks = codebooks;
    }

    @Override
    protected List<Parameter<?>> getParameters() {
      return List.of(
          dims, codec, residualCodebook, poolFactor, protectFirst, maxTokens, xtrCentroids, meta);
    }

    /** The codebook a residual codec needs (null for the others), checked against the field. */
    private ResidualCodebooks.Named codebook(FieldSettings settings) {
      String name = residualCodebook.getValue();
      if (!settings.codec().isResidual()) {
        if (name != null) {
          throw new IllegalArgumentException(
              "[residual_codebook] is only for the residual codecs; codec is "
                  + settings.codec().cliName());
        }
        return null;
      }
      if (name == null) {
        throw new IllegalArgumentException(
            "codec ["
                + settings.codec().cliName()
                + "] needs [residual_codebook]: the name of a Latte residual codebook installed"
                + " in the nodes' config/"
                + ResidualCodebooks.FOLDER);
      }
      ResidualCodebooks.Named book = codebooks.get(name);
      if (book.book().codec() != settings.codec() || book.book().dim() != settings.dims()) {
        throw new IllegalArgumentException(
            "[residual_codebook] ["
                + name
                + "] is a "
                + book.book().dim()
                + "-d "
                + book.book().codec().cliName()
                + " codebook; the field is "
                + settings.dims()
                + "-d "
                + settings.codec().cliName());
      }
      return book;
    }

    @Override
    public LatteTokensFieldMapper build(BuilderContext context) {
      FieldSettings settings =
          new FieldSettings(
              dims.getValue(),
              TokenCodec.fromName(codec.getValue()),
              poolFactor.getValue(),
              protectFirst.getValue(),
              maxTokens.getValue());
      ResidualCodebooks.Named book = codebook(settings);
      XtrLists.Trained xtr = null;
      if (xtrCentroids.getValue() != null) {
        xtr = lists.get(xtrCentroids.getValue());
        if (xtr.centroids().dim() != settings.dims()) {
          throw new IllegalArgumentException(
              "[xtr_centroids] ["
                  + xtr.name()
                  + "] are "
                  + xtr.centroids().dim()
                  + "-d; the field has dims "
                  + settings.dims());
        }
      }
      return new LatteTokensFieldMapper(
          name,
          new LatteTokensFieldType(buildFullName(context), settings, book, xtr, meta.getValue()),
          multiFieldsBuilder.build(this, context),
          copyTo.build(),
          settings,
          book,
          xtr,
          this);
    }
  }

  /**
   * The field's parser on one node: XTR centroids and residual codebooks are read from that node's
   * config dir.
   */
  static TypeParser parser(XtrLists lists, ResidualCodebooks codebooks) {
    return new TypeParser((n, c) -> new Builder(n, lists, codebooks));
  }

  /** What the mapping fixes for every value of the field. */
  public record FieldSettings(
      int dims, TokenCodec codec, int poolFactor, boolean protectFirst, int maxTokens) {}

  /** The searchable side of the field: only {@code latte_maxsim} queries it. */
  public static final class LatteTokensFieldType extends MappedFieldType {
    private final FieldSettings settings;
    private final ResidualCodebooks.Named codebook;
    private final XtrLists.Trained xtr;

    LatteTokensFieldType(
        String name,
        FieldSettings settings,
        ResidualCodebooks.Named codebook,
        XtrLists.Trained xtr,
        Map<String, String> meta) {
      super(name, false, false, true, TextSearchInfo.NONE, meta);
      this.settings = settings;
      this.codebook = codebook;
      this.xtr = xtr;
    }

    public FieldSettings settings() {
      return settings;
    }

    /** The residual codebook of a residual field, else null. */
    ResidualCodebook codebook() {
      return codebook == null ? null : codebook.book();
    }

    /** The field's XTR centroids, or null when it keeps no token lists. */
    XtrLists.Trained xtr() {
      return xtr;
    }

    @Override
    public String typeName() {
      return CONTENT_TYPE;
    }

    @Override
    public ValueFetcher valueFetcher(
        QueryShardContext context, SearchLookup searchLookup, String format) {
      return new SourceValueFetcher(name(), context) {
        @Override
        protected Object parseSourceValue(Object value) {
          return value;
        }
      };
    }

    @Override
    public Query termQuery(Object value, QueryShardContext context) {
      throw new QueryShardException(
          context,
          "field ["
              + name()
              + "] of type ["
              + CONTENT_TYPE
              + "] supports only the latte_maxsim query, not term queries");
    }
  }

  private final FieldSettings settings;
  private final TokenPooler pooler;
  private final ResidualCodebooks.Named codebook;
  private final XtrLists.Trained xtr;
  private final Builder builder;

  private LatteTokensFieldMapper(
      String simpleName,
      MappedFieldType fieldType,
      MultiFields multiFields,
      CopyTo copyTo,
      FieldSettings settings,
      ResidualCodebooks.Named codebook,
      XtrLists.Trained xtr,
      Builder builder) {
    super(simpleName, fieldType, multiFields, copyTo);
    this.settings = settings;
    this.codebook = codebook;
    this.xtr = xtr;
    this.builder = builder;
    this.pooler =
        settings.poolFactor() > 1
            ? new TokenPooler(settings.poolFactor(), settings.protectFirst())
            : null;
  }

  @Override
  public boolean parsesArrayValue() {
    // The value is itself an array of arrays: take it whole instead of one element at a time.
    return true;
  }

  @Override
  protected void parseCreateField(ParseContext context) throws IOException {
    XContentParser parser = context.parser();
    if (parser.currentToken() == XContentParser.Token.VALUE_NULL) return;
    String name = fieldType().name();
    if (context.doc().getField(name) != null) {
      throw new IllegalArgumentException(
          "field [" + name + "] takes one token matrix per document; this document has several");
    }
    byte[] stored;
    if (parser.currentToken() == XContentParser.Token.VALUE_STRING) {
      // Latte's own stored bytes, base64: what ./latte index --sink opensearch sends (a quarter of
      // the size of float32 JSON rows and no float parsing on the node).
      StoredValue v = StoredValue.parse(parser.binaryValue(), name, settings.dims());
      if (v.matrix().rows() > settings.maxTokens()) {
        throw new IllegalArgumentException(
            "["
                + name
                + "] has "
                + v.matrix().rows()
                + " token vectors, more than the field's max_tokens "
                + settings.maxTokens());
      }
      stored =
          pooler == null && v.codec() == settings.codec()
              ? v.bytes()
              : encode(pooler == null ? v.matrix() : pooler.pool(v.matrix()));
    } else {
      TokenMatrix m = TokenMatrixParser.parse(parser, name, settings.dims(), settings.maxTokens());
      if (pooler != null) m = pooler.pool(m);
      stored = encode(m);
    }
    context.doc().add(new BinaryDocValuesField(name, new BytesRef(stored)));
    // The stored (pooled, coded) rows go to the lists, as Latte's XTR builder reads its index.
    if (xtr != null) context.doc().add(xtr.postings(name, decode(stored)));
  }

  /** The field's codec applied as Latte's index writer applies it. */
  private byte[] encode(TokenMatrix m) {
    if (codebook == null) return settings.codec().encode(m);
    // Each row against its nearest centroid, picked by the kernel (LatteIndexWriter's way).
    int[] ids = new int[m.rows()];
    VectorKernel.get().assignCentroids(codebook.book(), m.data(), 0, m.rows(), ids);
    return codebook.book().encode(m, ids);
  }

  private TokenMatrix decode(byte[] stored) {
    return codebook == null
        ? StoredTokenMatrix.decode(stored, 0, stored.length, settings.dims())
        : codebook.book().decode(stored, 0, stored.length);
  }

  @Override
  public ParametrizedFieldMapper.Builder getMergeBuilder() {
    return new Builder(simpleName(), builder.lists, builder.codebooks).init(this);
  }

  @Override
  protected String contentType() {
    return CONTENT_TYPE;
  }
}
