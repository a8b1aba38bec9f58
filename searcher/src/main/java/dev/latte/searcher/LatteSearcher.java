package dev.latte.searcher;

import dev.latte.core.kernel.MaxSimKernel;
import dev.latte.core.kernel.MaxSimKernels;
import dev.latte.encoders.TokenEncoder;
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

  private final LatteIndex index;
  private final TokenEncoder encoder;
  private final MaxSimKernel kernel;
  private final Map<String, SearchMethod> methods = new LinkedHashMap<>();

  public LatteSearcher(LatteIndex index, TokenEncoder encoder) {
    this(index, encoder, MaxSimKernels.get());
  }

  public LatteSearcher(LatteIndex index, TokenEncoder encoder, MaxSimKernel kernel) {
    this(index, encoder, kernel, SearchSettings.DEFAULT);
  }

  public LatteSearcher(
      LatteIndex index, TokenEncoder encoder, MaxSimKernel kernel, SearchSettings settings) {
    index.requireSameModel(encoder);
    this.index = index;
    this.encoder = encoder;
    this.kernel = kernel;
    register(new Bm25Method());
    register(new ExactMaxSimMethod());
    register(new RescoredMethod(new Bm25Candidates(), settings.firstStageDepth()));
    register(new HybridMethod(HybridMethod.Fusion.RRF, 0, settings.firstStageDepth()));
    register(
        new HybridMethod(
            HybridMethod.Fusion.LINEAR, settings.linearFusionWeight(), settings.firstStageDepth()));
    if (index.metadata().options().codec() == dev.latte.core.codec.TokenCodec.BIT)
      register(ExactMaxSimMethod.hamming());
    // Methods over derived first-stage structures; each fails with a build hint when its
    // structure is missing (./latte index --first-stage NAME).
    XtrCandidates xtr = new XtrCandidates(settings.xtrProbes(), settings.xtrTokenDepth());
    register(new FirstStageMethod(xtr));
    register(new RescoredMethod(xtr, settings.rescoreDepth()));
    register(
        new HybridMethod(
            "hybrid-xtr",
            HybridMethod.Fusion.LINEAR,
            settings.linearFusionWeight(),
            settings.rescoreDepth(),
            xtr,
            settings.rescoreDepth()));
    CoilCandidates coil = new CoilCandidates();
    register(new FirstStageMethod(coil));
    register(new RescoredMethod(coil, settings.rescoreDepth()));
    register(new SlimMethod(settings.rescoreDepth()));
    register(new RescoredMethod(new SlimCandidates(), settings.rescoreDepth()));
    register(new LuceneStockMethod(settings.rescoreDepth()));
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

  public MaxSimKernel kernel() {
    return kernel;
  }

  public QueryContext query(String text) {
    return new QueryContext(text, encoder, kernel);
  }

  /** Runs one method and resolves the hits' stored fields. */
  public SearchResponse search(String methodName, String text, int k) throws IOException {
    if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
    SearchMethod method = method(methodName);
    QueryContext q = query(text);
    if (method.needsQueryMatrix()) q.encoded();
    MethodResult r = method.search(index, q, k);
    List<Hit> hits = new ArrayList<>(r.docs().size());
    int rank = 1;
    for (ScoredDoc d : r.docs()) {
      LatteIndex.StoredDocument s = index.stored(d.doc());
      hits.add(new Hit(s.id(), d.score(), rank++, s.title(), s.text()));
    }
    return new SearchResponse(
        method.name(),
        hits,
        q.encodeMillis(),
        r.firstStageMillis(),
        r.rescoreMillis(),
        r.candidatesScored());
  }

  @Override
  public void close() throws IOException {
    index.close();
  }

  public record Hit(String docid, float score, int rank, String title, String text) {}

  public record SearchResponse(
      String method,
      List<Hit> hits,
      double encodeMillis,
      double firstStageMillis,
      double rescoreMillis,
      long candidatesScored) {
    public double searchMillis() {
      return firstStageMillis + rescoreMillis;
    }

    public double tookMillis() {
      return encodeMillis + searchMillis();
    }
  }
}
