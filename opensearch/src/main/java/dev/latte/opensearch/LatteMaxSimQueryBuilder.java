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
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;

/**
 * {@code {"latte_maxsim": {"field": F, "query_vectors": [[...], ...]}}}: every document with a
 * token matrix in the {@code latte_tokens} field F, scored by exact MaxSim against the query
 * vectors with Latte's kernels on the stored bytes. Instead of vectors a client may send {@code
 * "query_text": T, "model": M}: the coordinating node encodes T with the installed model M once per
 * search, when it rewrites the request, and the shards receive the vectors. Combine it with any
 * filter in a {@code bool} query (only matching documents are scored), or put it in a {@code
 * rescore} clause to rescore another query's top window (BM25, k-NN, hybrid) per shard.
 */
public final class LatteMaxSimQueryBuilder extends AbstractQueryBuilder<LatteMaxSimQueryBuilder> {
  public static final String NAME = "latte_maxsim";
  static final ParseField FIELD = new ParseField("field");
  static final ParseField QUERY_VECTORS = new ParseField("query_vectors");
  static final ParseField QUERY_TEXT = new ParseField("query_text");
  static final ParseField MODEL = new ParseField("model");

  /** Query rows accepted; far above any encoder's query length. */
  static final int MAX_QUERY_TOKENS = 4096;

  private final String field;
  private final TokenMatrix queryVectors;
  private final QueryText queryText;
  // This node's models, for rewriting query_text; never serialized.
  private final LatteModels models;

  public LatteMaxSimQueryBuilder(String field, TokenMatrix queryVectors) {
    this(field, Objects.requireNonNull(queryVectors, "query_vectors"), null, null);
  }

  LatteMaxSimQueryBuilder(
      String field, TokenMatrix queryVectors, QueryText queryText, LatteModels models) {
    this.field = Objects.requireNonNull(field, "field");
    QueryText.requireOne(NAME, queryVectors, queryText);
    this.queryVectors = queryVectors;
    this.queryText = queryText;
    this.models = models;
  }

  public LatteMaxSimQueryBuilder(StreamInput in, LatteModels models) throws IOException {
    super(in);
    field = in.readString();
    queryVectors = QueryText.readMatrixIfPresent(in);
    queryText = in.readOptionalWriteable(QueryText::new);
    this.models = models;
  }

  public String field() {
    return field;
  }

  /** The query's vectors; null until a {@code query_text} query is rewritten. */
  public TokenMatrix queryVectors() {
    return queryVectors;
  }

  @Override
  protected void doWriteTo(StreamOutput out) throws IOException {
    out.writeString(field);
    QueryText.writeQuery(out, queryVectors, queryText);
  }

  @Override
  protected void doXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject(NAME);
    builder.field(FIELD.getPreferredName(), field);
    QueryText.queryXContent(builder, queryVectors, queryText);
    printBoostAndQueryName(builder);
    builder.endObject();
  }

  /**
   * The coordinating node's rewrite (the first one a search gets) encodes {@code query_text} once;
   * the shards receive the vectors and never see the text.
   */
  @Override
  protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
    if (queryVectors != null) return this;
    LatteMaxSimQueryBuilder b =
        new LatteMaxSimQueryBuilder(field, queryText.encode(models, NAME), null, models);
    b.boost(boost());
    b.queryName(queryName());
    return b;
  }

  public static LatteMaxSimQueryBuilder fromXContent(XContentParser parser, LatteModels models)
      throws IOException {
    String field = null;
    TokenMatrix vectors = null;
    String text = null;
    String model = null;
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
      } else if (t.isValue() && QUERY_TEXT.match(current, parser.getDeprecationHandler())) {
        text = parser.text();
      } else if (t.isValue() && MODEL.match(current, parser.getDeprecationHandler())) {
        model = parser.text();
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
                + "]; it takes field, query_vectors (or query_text and model), boost and _name");
      }
    }
    if (field == null) {
      throw new ParsingException(
          parser.getTokenLocation(), "[" + NAME + "] needs [field]: a latte_tokens field");
    }
    QueryText queryText = QueryText.parsed(parser, NAME, vectors != null, text, model, models);
    LatteMaxSimQueryBuilder b = new LatteMaxSimQueryBuilder(field, vectors, queryText, models);
    b.boost(boost);
    b.queryName(queryName);
    return b;
  }

  @Override
  protected Query doToQuery(QueryShardContext context) throws IOException {
    LatteTokensFieldMapper.LatteTokensFieldType latte =
        QueryText.targetField(context, NAME, field, queryVectors);
    return new MaxSimQuery(field, queryVectors, latte.codebook());
  }

  @Override
  protected boolean doEquals(LatteMaxSimQueryBuilder other) {
    return field.equals(other.field)
        && Objects.equals(queryVectors, other.queryVectors)
        && Objects.equals(queryText, other.queryText);
  }

  @Override
  protected int doHashCode() {
    return Objects.hash(
        field, queryVectors == null ? 0 : Arrays.hashCode(queryVectors.data()), queryText);
  }

  @Override
  public String getWriteableName() {
    return NAME;
  }
}
