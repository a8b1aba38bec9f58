package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.xtr.XtrStage;
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
import org.opensearch.index.query.QueryShardException;

/**
 * {@code {"latte_xtr": {"field": F, "query_vectors": [[...]] | "query_text": T, "model": M,
 * "probes": 8, "token_depth": 100, "maxsim_depth": 100}}}: Latte's XTR token retrieval on each
 * shard's lists of the {@code latte_tokens} field F (which must name {@code xtr_centroids}): each
 * query token probes its {@code probes} nearest centroids, every token in those lists is scored on
 * its int8 code, the {@code token_depth} best documents per query token are retrieved and the rest
 * imputed (XTR's score). With {@code maxsim_depth} N &gt; 0 the shard's N best are rescored by
 * exact MaxSim on the stored matrices (Latte's {@code xtr+maxsim}); with 0 they keep XTR's score
 * (Latte's {@code xtr}). The defaults are Latte's. An optional {@code filter} (any query) restricts
 * retrieval to its matches before tokens are scored, as Latte's filtered XTR does: the per-token
 * top k' and the imputed values are those of the matching documents.
 */
public final class LatteXtrQueryBuilder extends AbstractQueryBuilder<LatteXtrQueryBuilder> {
  public static final String NAME = "latte_xtr";
  static final ParseField PROBES = new ParseField("probes");
  static final ParseField TOKEN_DEPTH = new ParseField("token_depth");
  static final ParseField MAXSIM_DEPTH = new ParseField("maxsim_depth");
  static final ParseField FILTER = new ParseField("filter");

  /** What a shard runs: the retrieval's parameters. */
  record XtrParams(int probes, int tokenDepth, int maxsimDepth) {
    static final XtrParams DEFAULT =
        new XtrParams(
            XtrStage.PROBES.defaultValue(),
            XtrStage.TOKEN_DEPTH.defaultValue(),
            SearchSettings.DEFAULT.rescoreDepth());
  }

  private final String field;
  private final TokenMatrix queryVectors;
  private final QueryText queryText;
  private final XtrParams params;
  private final QueryBuilder filter; // null: every document may be retrieved
  private final LatteModels models;

  LatteXtrQueryBuilder(
      String field,
      TokenMatrix queryVectors,
      QueryText queryText,
      XtrParams params,
      QueryBuilder filter,
      LatteModels models) {
    this.field = Objects.requireNonNull(field, "field");
    QueryText.requireOne(NAME, queryVectors, queryText);
    this.queryVectors = queryVectors;
    this.queryText = queryText;
    this.params = params;
    this.filter = filter;
    this.models = models;
  }

  public LatteXtrQueryBuilder(StreamInput in, LatteModels models) throws IOException {
    super(in);
    field = in.readString();
    queryVectors = QueryText.readMatrixIfPresent(in);
    queryText = in.readOptionalWriteable(QueryText::new);
    params = new XtrParams(in.readVInt(), in.readVInt(), in.readVInt());
    filter = in.readOptionalNamedWriteable(QueryBuilder.class);
    this.models = models;
  }

  @Override
  protected void doWriteTo(StreamOutput out) throws IOException {
    out.writeString(field);
    QueryText.writeQuery(out, queryVectors, queryText);
    out.writeVInt(params.probes());
    out.writeVInt(params.tokenDepth());
    out.writeVInt(params.maxsimDepth());
    out.writeOptionalNamedWriteable(filter);
  }

  @Override
  protected void doXContent(XContentBuilder builder, Params xContentParams) throws IOException {
    builder.startObject(NAME);
    builder.field(LatteMaxSimQueryBuilder.FIELD.getPreferredName(), field);
    QueryText.queryXContent(builder, queryVectors, queryText);
    builder.field(PROBES.getPreferredName(), params.probes());
    builder.field(TOKEN_DEPTH.getPreferredName(), params.tokenDepth());
    builder.field(MAXSIM_DEPTH.getPreferredName(), params.maxsimDepth());
    if (filter != null) builder.field(FILTER.getPreferredName(), filter);
    printBoostAndQueryName(builder);
    builder.endObject();
  }

  /** The coordinating node encodes {@code query_text} once; shards receive vectors. */
  @Override
  protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
    QueryBuilder f = filter == null ? null : filter.rewrite(context);
    if (queryVectors != null && f == filter) return this;
    TokenMatrix vectors = queryVectors != null ? queryVectors : queryText.encode(models, NAME);
    LatteXtrQueryBuilder b = new LatteXtrQueryBuilder(field, vectors, null, params, f, models);
    b.boost(boost());
    b.queryName(queryName());
    return b;
  }

  public static LatteXtrQueryBuilder fromXContent(XContentParser parser, LatteModels models)
      throws IOException {
    String field = null;
    TokenMatrix vectors = null;
    String text = null;
    String model = null;
    XtrParams d = XtrParams.DEFAULT;
    int probes = d.probes(), tokenDepth = d.tokenDepth(), maxsimDepth = d.maxsimDepth();
    float boost = DEFAULT_BOOST;
    String queryName = null;
    QueryBuilder filter = null;
    String current = null;
    for (XContentParser.Token t = parser.nextToken();
        t != XContentParser.Token.END_OBJECT;
        t = parser.nextToken()) {
      if (t == XContentParser.Token.FIELD_NAME) {
        current = parser.currentName();
      } else if (t == XContentParser.Token.START_OBJECT
          && FILTER.match(current, parser.getDeprecationHandler())) {
        filter = parseInnerQueryBuilder(parser);
      } else if (LatteMaxSimQueryBuilder.QUERY_VECTORS.match(
          current, parser.getDeprecationHandler())) {
        try {
          vectors =
              TokenMatrixParser.parse(
                  parser, NAME + "." + current, 0, LatteMaxSimQueryBuilder.MAX_QUERY_TOKENS);
        } catch (IllegalArgumentException e) {
          throw new ParsingException(parser.getTokenLocation(), e.getMessage());
        }
      } else if (t.isValue()
          && LatteMaxSimQueryBuilder.FIELD.match(current, parser.getDeprecationHandler())) {
        field = parser.text();
      } else if (t.isValue()
          && LatteMaxSimQueryBuilder.QUERY_TEXT.match(current, parser.getDeprecationHandler())) {
        text = parser.text();
      } else if (t.isValue()
          && LatteMaxSimQueryBuilder.MODEL.match(current, parser.getDeprecationHandler())) {
        model = parser.text();
      } else if (t.isValue() && PROBES.match(current, parser.getDeprecationHandler())) {
        probes = positive(parser, PROBES, 1);
      } else if (t.isValue() && TOKEN_DEPTH.match(current, parser.getDeprecationHandler())) {
        tokenDepth = positive(parser, TOKEN_DEPTH, 1);
      } else if (t.isValue() && MAXSIM_DEPTH.match(current, parser.getDeprecationHandler())) {
        maxsimDepth = positive(parser, MAXSIM_DEPTH, 0);
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
                + "]; it takes field, query_vectors (or query_text and model), probes,"
                + " token_depth, maxsim_depth, filter, boost and _name");
      }
    }
    if (field == null) {
      throw new ParsingException(
          parser.getTokenLocation(), "[" + NAME + "] needs [field]: a latte_tokens field");
    }
    QueryText queryText = QueryText.parsed(parser, NAME, vectors != null, text, model, models);
    LatteXtrQueryBuilder b =
        new LatteXtrQueryBuilder(
            field,
            vectors,
            queryText,
            new XtrParams(probes, tokenDepth, maxsimDepth),
            filter,
            models);
    b.boost(boost);
    b.queryName(queryName);
    return b;
  }

  private static int positive(XContentParser parser, ParseField name, int min) throws IOException {
    int v = parser.intValue();
    if (v < min) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[" + NAME + "] " + name.getPreferredName() + " must be at least " + min + ", got " + v);
    }
    return v;
  }

  @Override
  protected Query doToQuery(QueryShardContext context) throws IOException {
    LatteTokensFieldMapper.LatteTokensFieldType latte =
        QueryText.targetField(context, NAME, field, queryVectors);
    if (latte.xtr() == null) {
      throw new QueryShardException(
          context,
          "["
              + NAME
              + "] field ["
              + field
              + "] keeps no XTR lists: map it with [xtr_centroids] (frozen centroids installed"
              + " in the nodes' config/"
              + XtrLists.FOLDER
              + ")");
    }
    return new XtrQuery(
        field,
        queryVectors,
        latte.xtr(),
        latte.codebook(),
        params,
        filter == null ? null : filter.toQuery(context));
  }

  @Override
  protected boolean doEquals(LatteXtrQueryBuilder other) {
    return field.equals(other.field)
        && Objects.equals(queryVectors, other.queryVectors)
        && Objects.equals(queryText, other.queryText)
        && params.equals(other.params)
        && Objects.equals(filter, other.filter);
  }

  @Override
  protected int doHashCode() {
    return Objects.hash(
        field,
        queryVectors == null ? 0 : Arrays.hashCode(queryVectors.data()),
        queryText,
        params,
        filter);
  }

  @Override
  public String getWriteableName() {
    return NAME;
  }
}
