package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import org.apache.lucene.search.Query;
import org.opensearch.core.ParseField;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;

/**
 * {@code {"latte_maxsim": {"field": F, "query_vectors": [[...], ...]}}}: every document with a
 * token matrix in the {@code latte_tokens} field F, scored by exact MaxSim against the query
 * vectors with Latte's kernels on the stored bytes. Combine it with any filter in a {@code bool}
 * query (only matching documents are scored), or put it in a {@code rescore} clause to rescore
 * another query's top window (BM25, k-NN, hybrid) per shard.
 */
public final class LatteMaxSimQueryBuilder extends AbstractQueryBuilder<LatteMaxSimQueryBuilder> {
  public static final String NAME = "latte_maxsim";
  static final ParseField FIELD = new ParseField("field");
  static final ParseField QUERY_VECTORS = new ParseField("query_vectors");

  /** Query rows accepted; far above any encoder's query length. */
  static final int MAX_QUERY_TOKENS = 4096;

  private final String field;
  private final TokenMatrix queryVectors;

  public LatteMaxSimQueryBuilder(String field, TokenMatrix queryVectors) {
    this.field = Objects.requireNonNull(field, "field");
    this.queryVectors = Objects.requireNonNull(queryVectors, "query_vectors");
  }

  public LatteMaxSimQueryBuilder(StreamInput in) throws IOException {
    super(in);
    field = in.readString();
    int rows = in.readVInt();
    int dim = in.readVInt();
    queryVectors = new TokenMatrix(in.readFloatArray(), rows, dim);
  }

  public String field() {
    return field;
  }

  public TokenMatrix queryVectors() {
    return queryVectors;
  }

  @Override
  protected void doWriteTo(StreamOutput out) throws IOException {
    out.writeString(field);
    out.writeVInt(queryVectors.rows());
    out.writeVInt(queryVectors.dim());
    out.writeFloatArray(queryVectors.data());
  }

  @Override
  protected void doXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject(NAME);
    builder.field(FIELD.getPreferredName(), field);
    builder.startArray(QUERY_VECTORS.getPreferredName());
    for (int r = 0; r < queryVectors.rows(); r++) {
      builder.startArray();
      for (int d = 0; d < queryVectors.dim(); d++) builder.value(queryVectors.get(r, d));
      builder.endArray();
    }
    builder.endArray();
    printBoostAndQueryName(builder);
    builder.endObject();
  }

  public static LatteMaxSimQueryBuilder fromXContent(XContentParser parser) throws IOException {
    String field = null;
    TokenMatrix vectors = null;
    float boost = DEFAULT_BOOST;
    String queryName = null;
    String current = null;
    for (XContentParser.Token t = parser.nextToken();
        t != XContentParser.Token.END_OBJECT;
        t = parser.nextToken()) {
      if (t == XContentParser.Token.FIELD_NAME) {
        current = parser.currentName();
      } else if (QUERY_VECTORS.match(current, parser.getDeprecationHandler())) {
        try {
          vectors = TokenMatrixParser.parse(parser, NAME + "." + current, 0, MAX_QUERY_TOKENS);
        } catch (IllegalArgumentException e) {
          throw new ParsingException(parser.getTokenLocation(), e.getMessage());
        }
      } else if (t.isValue() && FIELD.match(current, parser.getDeprecationHandler())) {
        field = parser.text();
      } else if (t.isValue() && BOOST_FIELD.match(current, parser.getDeprecationHandler())) {
        boost = parser.floatValue();
      } else if (t.isValue() && NAME_FIELD.match(current, parser.getDeprecationHandler())) {
        queryName = parser.text();
      } else {
        throw new ParsingException(
            parser.getTokenLocation(),
            "["
                + NAME
                + "] does not take ["
                + current
                + "]; it takes field, query_vectors, boost and _name");
      }
    }
    if (field == null) {
      throw new ParsingException(
          parser.getTokenLocation(), "[" + NAME + "] needs [field]: a latte_tokens field");
    }
    if (vectors == null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[" + NAME + "] needs [query_vectors]: the query's token vectors [[float, ...], ...]");
    }
    LatteMaxSimQueryBuilder b = new LatteMaxSimQueryBuilder(field, vectors);
    b.boost(boost);
    b.queryName(queryName);
    return b;
  }

  @Override
  protected Query doToQuery(QueryShardContext context) throws IOException {
    MappedFieldType type = context.fieldMapper(field);
    if (!(type instanceof LatteTokensFieldMapper.LatteTokensFieldType latte)) {
      throw new QueryShardException(
          context,
          "["
              + NAME
              + "] field ["
              + field
              + "] is "
              + (type == null ? "not mapped" : "of type [" + type.typeName() + "]")
              + "; it must be a ["
              + LatteTokensFieldMapper.CONTENT_TYPE
              + "] field");
    }
    int dims = latte.settings().dims();
    if (queryVectors.dim() != dims) {
      throw new QueryShardException(
          context,
          "["
              + NAME
              + "] query_vectors have "
              + queryVectors.dim()
              + " values per row; field ["
              + field
              + "] has dims "
              + dims);
    }
    return new MaxSimQuery(field, queryVectors);
  }

  @Override
  protected boolean doEquals(LatteMaxSimQueryBuilder other) {
    return field.equals(other.field) && queryVectors.equals(other.queryVectors);
  }

  @Override
  protected int doHashCode() {
    return Objects.hash(field, queryVectors.rows(), Arrays.hashCode(queryVectors.data()));
  }

  @Override
  public String getWriteableName() {
    return NAME;
  }
}
