package dev.latte.web;

import dev.latte.indexer.IndexMetadata;
import dev.latte.searcher.DefaultMethod;
import dev.latte.searcher.LatteIndex;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API's JSON view of a served index (STATS in the OpenAPI document): its settings and the
 * statistics of its current snapshot, and the states of its first stages. Snake_case keys.
 */
final class IndexJson {
  private IndexJson() {}

  /** STATS of {@code li}, read from one snapshot. */
  static Map<String, Object> describe(LiveIndex li) throws IOException {
    IndexSnapshot s = li.acquire();
    try {
      LatteIndex index = s.searcher.index();
      IndexMetadata m = index.metadata();
      var stats = index.stats();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", li.name);
      out.put("model", m.modelName());
      out.put("codec", m.codec());
      out.put("pool_factor", m.poolFactor());
      out.put("dimension", m.dimension());
      out.put("documents", stats.documents());
      out.put("passages", stats.passages());
      out.put("tokens", stats.tokens());
      out.put("token_bytes", stats.tokenBytes());
      out.put("bytes_on_disk", li.bytesOnDisk());
      out.put("segments", index.reader().leaves().size());
      out.put("read_only", li.readOnly());
      List<MaintainedStage.Status> stages = li.firstStages(s);
      out.put("first_stages", firstStages(stages));
      FirstStageSettings settings = li.firstStageSettings();
      if (settings != null && !li.readOnly())
        out.put("train_after_documents", settings.trainAfterDocuments());
      out.put("default_method", defaultMethod(stages));
      return out;
    } finally {
      s.release();
    }
  }

  /** {@link DefaultMethod} over the first stages that answer now (retraining ones still do). */
  static String defaultMethod(List<MaintainedStage.Status> statuses) {
    java.util.Set<String> answering = new java.util.HashSet<>();
    for (MaintainedStage.Status st : statuses)
      if (st.state() == MaintainedStage.State.READY
          || st.state() == MaintainedStage.State.RETRAINING) answering.add(st.stage());
    return DefaultMethod.forReadyFirstStages(answering);
  }

  /**
   * Per first stage: {@code {"state", "trained_on_documents"?, "message"?}} (the message when it
   * cannot answer), by stage name.
   */
  static Map<String, Object> firstStages(List<MaintainedStage.Status> statuses) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (MaintainedStage.Status st : statuses) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("state", st.state().json());
      if (st.trainedOnDocuments() >= 0) one.put("trained_on_documents", st.trainedOnDocuments());
      if (st.message() != null) one.put("message", st.message());
      out.put(st.stage(), one);
    }
    return out;
  }

  /** The first-stage states of {@code li}, as in its STATS. */
  static Map<String, Object> firstStages(LiveIndex li) throws IOException {
    return firstStages(li.firstStages());
  }
}
