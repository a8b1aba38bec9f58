package dev.latte.searcher;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.encoders.TokenEncoder;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search facade used by the CLI, eval and the HTTP server: an open index, the encoder that
 * built it, and the methods by name. Thread-safe.
 */
public final class LatteSearcher implements AutoCloseable {
  public static final String DEFAULT_METHOD = ExactMaxSimMethod.NAME;
  private static final com.fasterxml.jackson.databind.ObjectMapper METADATA_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final LatteIndex index;
  private final TokenEncoder encoder;
  private final VectorKernel kernel;
  private final Map<String, SearchMethod> methods = new LinkedHashMap<>();

  public LatteSearcher(LatteIndex index, TokenEncoder encoder) {
    this(index, encoder, VectorKernel.get());
  }

  public LatteSearcher(LatteIndex index, TokenEncoder encoder, VectorKernel kernel) {
    this(index, encoder, kernel, SearchSettings.DEFAULT);
  }

  public LatteSearcher(
      LatteIndex index, TokenEncoder encoder, VectorKernel kernel, SearchSettings settings) {
    this(index, encoder, kernel, settings, FirstStages.DEFAULT);
  }

  /** With the first stages of {@code stages} instead of Latte's own (tests, extensions). */
  public LatteSearcher(
      LatteIndex index,
      TokenEncoder encoder,
      VectorKernel kernel,
      SearchSettings settings,
      FirstStages stages) {
    // No encoder: queries come as vectors (an index of precomputed vectors has no model at all).
    if (encoder != null) index.requireSameModel(encoder);
    this.index = index;
    this.encoder = encoder;
    this.kernel = kernel;
    boolean bit = index.metadata().options().codec() == dev.latte.core.codec.TokenCodec.BIT;
    for (SearchMethod m : standardMethods(settings, stages, bit)) register(m);
  }

  /**
   * Every method by name, in the order {@link #methods()} lists them: those that need no first
   * stage, then each first stage's methods from the registry (each fails with a build hint when its
   * stage is missing: ./latte index --first-stage NAME). {@code hamming} adds the symmetric bit
   * method, which only a 1-bit index answers.
   */
  static List<SearchMethod> standardMethods(
      SearchSettings settings, FirstStages stages, boolean hamming) {
    List<SearchMethod> out = new ArrayList<>();
    out.add(new Bm25Method());
    out.add(new ExactMaxSimMethod());
    out.add(new RescoredMethod(new Bm25Candidates(), settings.firstStageDepth()));
    out.add(new HybridMethod(HybridMethod.Fusion.RRF, 0, settings.firstStageDepth()));
    out.add(
        new HybridMethod(
            HybridMethod.Fusion.LINEAR, settings.linearFusionWeight(), settings.firstStageDepth()));
    out.add(new WeightedQueryMethod("maxsim-idf", new ExactMaxSimMethod(), QueryTokens.IDF));
    if (hamming) out.add(ExactMaxSimMethod.hamming());
    out.addAll(stages.methods(settings));
    return out;
  }

  /**
   * Every method name a searcher answers, in the order the help texts list them ({@code
   * maxsim-hamming} only on 1-bit indexes): the one list the CLI help and the API document take
   * method names from.
   */
  public static List<String> methodNames() {
    return List.copyOf(methodStages().keySet());
  }

  /**
   * Every method name with the first stage it needs (null: none), for help texts, request
   * validation and "which methods work now" messages; no index is opened. The hamming method is
   * listed too, although only a 1-bit index answers it.
   */
  public static Map<String, String> methodStages() {
    Map<String, String> out = new LinkedHashMap<>();
    for (SearchMethod m : standardMethods(SearchSettings.DEFAULT, FirstStages.DEFAULT, true))
      out.put(m.name(), m.firstStage());
    return out;
  }

  /**
   * The methods that need no first stage and answer on every index (the symmetric bit method, which
   * only a 1-bit index answers, is not among them).
   */
  public static List<String> methodsWithoutFirstStage() {
    return standardMethods(SearchSettings.DEFAULT, FirstStages.DEFAULT, false).stream()
        .filter(m -> m.firstStage() == null)
        .map(SearchMethod::name)
        .toList();
  }

  private void register(SearchMethod m) {
    methods.put(m.name(), m);
  }

  public List<String> methods() {
    return new ArrayList<>(methods.keySet());
  }

  public SearchMethod method(String name) {
    SearchMethod m = methods.get(name);
    if (m == null) {
      throw new IllegalArgumentException(
          "unknown method '" + name + "'; available: " + String.join(", ", methods.keySet()));
    }
    return m;
  }

  public LatteIndex index() {
    return index;
  }

  public TokenEncoder encoder() {
    return encoder;
  }

  public VectorKernel kernel() {
    return kernel;
  }

  public QueryContext query(String text) {
    return new QueryContext(text, encoder, kernel);
  }

  /** The refusal of a text query that needs a model when there is none to encode it. */
  private IllegalArgumentException noModel() {
    return new IllegalArgumentException(
        index.metadata().hasModel()
            ? "no model was loaded to encode the query; give query vectors, or load the index's"
                + " model ("
                + index.metadata().modelName()
                + ")"
            : "index "
                + index.path()
                + " holds precomputed vectors ("
                + index.metadata().modelName()
                + ", "
                + index.metadata().dimension()
                + "-d) and no model to encode text queries: search it with query vectors"
                + " (--query-vectors FILE, or \"query_vectors\" over HTTP); bm25 alone takes"
                + " text");
  }

  /** Runs one method and resolves the hits' stored fields. */
  public SearchResponse search(String methodName, String text, int k) throws IOException {
    return search(methodName, text, k, false);
  }

  /**
   * Runs one method and resolves the hits' stored fields; with {@code explain}, each hit also
   * carries its {@link Explanation}: the token-level late-interaction (MaxSim) match of the query
   * with the document, whatever method ranked it. For BM25, hybrid, first-stage or hamming hits the
   * explanation therefore still shows MaxSim token matches, and its score is the document's {@code
   * maxsim-exact} score rather than the hit's score. Explaining encodes the query even for methods
   * that do not need it (counted in {@link SearchResponse#encodeMillis()}).
   */
  public SearchResponse search(String methodName, String text, int k, boolean explain)
      throws IOException {
    return search(methodName, text, k, null, explain);
  }

  /**
   * Runs one method over the documents matching {@code filter} only (a query over the index's
   * metadata fields, e.g. {@link Filters#parse(String)}; null: no filter) and resolves the hits'
   * stored fields. Every method applies the filter before scoring, so the hits are the method's
   * best matching documents, not a post-filtered remainder (fewer than k if fewer match). A hit's
   * metadata is {@link LatteIndex#metadata(int)} of its document.
   */
  public SearchResponse search(
      String methodName, String text, int k, org.apache.lucene.search.Query filter)
      throws IOException {
    return search(methodName, text, k, filter, false);
  }

  /** The general form: optional metadata filter (applied before scoring) and explanations. */
  public SearchResponse search(
      String methodName, String text, int k, org.apache.lucene.search.Query filter, boolean explain)
      throws IOException {
    return search(methodName, query(text), k, filter, explain);
  }

  /**
   * A query given as token vectors instead of text ({@link QueryContext#ofVectors}); {@code text}
   * may be empty (BM25 then finds nothing). The vectors must have the index's dimension.
   */
  public SearchResponse searchVectors(
      String methodName,
      String text,
      dev.latte.core.TokenMatrix vectors,
      int k,
      org.apache.lucene.search.Query filter,
      boolean explain)
      throws IOException {
    return searchVectors(methodName, text, vectors, null, k, filter, explain);
  }

  /**
   * As above, with each query row's token string ({@code tokens}, null: none), which COIL's
   * exact-match lists and SLIM key on ({@link QueryContext#ofEncoded}).
   */
  public SearchResponse searchVectors(
      String methodName,
      String text,
      dev.latte.core.TokenMatrix vectors,
      String[] tokens,
      int k,
      org.apache.lucene.search.Query filter,
      boolean explain)
      throws IOException {
    if (vectors.dim() != index.metadata().dimension()) {
      throw new IllegalArgumentException(
          "query vectors are "
              + vectors.dim()
              + "-d; this index holds "
              + index.metadata().dimension()
              + "-d vectors of model "
              + index.metadata().modelName());
    }
    if (tokens != null && tokens.length != vectors.rows())
      throw new IllegalArgumentException(
          "query tokens: " + tokens.length + " for " + vectors.rows() + " vector rows");
    QueryContext q =
        tokens == null
            ? QueryContext.ofVectors(text, vectors, kernel)
            : QueryContext.ofEncoded(text, vectors, tokens, kernel);
    return search(methodName, q, k, filter, explain);
  }

  private SearchResponse search(
      String methodName,
      QueryContext base,
      int k,
      org.apache.lucene.search.Query filter,
      boolean explain)
      throws IOException {
    if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
    SearchMethod method = method(methodName);
    QueryContext q = filter == null ? base : base.withFilter(filter);
    if ((method.needsQueryMatrix() || explain) && encoder == null && !q.isEncoded())
      throw noModel();
    if (method.needsQueryMatrix() || explain) q.encoded();
    MethodResult r = method.search(index, q, k);
    List<Hit> hits = new ArrayList<>(r.docs().size());
    int rank = 1;
    for (ScoredDoc d : r.docs()) {
      LatteIndex.StoredDocument s = index.stored(d.doc());
      Explanation e = explain ? Explainer.explain(index, q, d.doc(), s) : null;
      String meta = index.metadata(d.doc());
      hits.add(
          new Hit(
              s.id(),
              d.score(),
              rank++,
              s.title(),
              s.text(),
              e,
              meta == null ? null : METADATA_JSON.readTree(meta)));
    }
    return new SearchResponse(
        method.name(),
        hits,
        q.encodeMillis(),
        r.firstStageMillis(),
        r.rescoreMillis(),
        r.candidatesScored(),
        r.stepsMillis());
  }

  @Override
  public void close() throws IOException {
    index.close();
  }

  /**
   * One ranked document. {@code explain} is its {@link Explanation} when the search asked for one,
   * else null (and then left out of JSON, so hits serialise as before).
   */
  public record Hit(
      String docid,
      float score,
      int rank,
      String title,
      String text,
      @JsonInclude(JsonInclude.Include.NON_NULL) Explanation explain,
      @JsonInclude(JsonInclude.Include.NON_NULL) com.fasterxml.jackson.databind.JsonNode metadata) {
    public Hit(String docid, float score, int rank, String title, String text) {
      this(docid, score, rank, title, text, null, null);
    }

    public Hit(
        String docid, float score, int rank, String title, String text, Explanation explain) {
      this(docid, score, rank, title, text, explain, null);
    }
  }

  public record SearchResponse(
      String method,
      List<Hit> hits,
      double encodeMillis,
      double firstStageMillis,
      double rescoreMillis,
      long candidatesScored,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) java.util.Map<String, Double> stepsMillis) {
    public SearchResponse(
        String method,
        List<Hit> hits,
        double encodeMillis,
        double firstStageMillis,
        double rescoreMillis,
        long candidatesScored) {
      this(
          method,
          hits,
          encodeMillis,
          firstStageMillis,
          rescoreMillis,
          candidatesScored,
          java.util.Map.of());
    }

    public double searchMillis() {
      return firstStageMillis + rescoreMillis;
    }

    public double tookMillis() {
      return encodeMillis + searchMillis();
    }
  }
}
