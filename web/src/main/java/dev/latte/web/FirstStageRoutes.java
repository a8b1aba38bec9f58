package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.searcher.firststage.FirstStage;
import dev.latte.searcher.firststage.FirstStages;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/indexes/{name}/first-stages}: add first stages to those an index maintains (and
 * retrain them now), or drop one. Training and keeping them in step is {@link
 * FirstStageMaintainer}'s.
 */
final class FirstStageRoutes {
  private final IndexRegistry registry;
  private final ApiKeyAuth auth;
  private final RequestBodies bodies;

  FirstStageRoutes(IndexRegistry registry, ApiKeyAuth auth, RequestBodies bodies) {
    this.registry = registry;
    this.auth = auth;
    this.bodies = bodies;
  }

  void register(RouteTable routes) {
    routes.add("POST", "/v1/indexes/{name}/first-stages", this::configure);
    routes.add("DELETE", "/v1/indexes/{name}/first-stages/{stage}", this::remove);
  }

  private void configure(Context ctx) throws Exception {
    auth.authorize(ctx, true);
    LiveIndex li = registry.get(ClientInput.pathParam(ctx, "name"));
    JsonNode body = bodies.object(ctx, Set.of("first_stages", "train_after_documents", "retrain"));
    FirstStageSettings base = li.firstStageSettings();
    if (base == null) base = FirstStageSettings.NONE; // read-only: refused by the index below
    FirstStageSettings given =
        applicable(
            FirstStageSettings.parse(
                body, new FirstStageSettings(List.of(), base.trainAfterDocuments())),
            body,
            li.poolFactor());
    JsonNode r = body.get("retrain");
    if (r != null && !r.isNull() && !r.isBoolean())
      throw Refusal.invalid("invalid_request", "\"retrain\" must be true or false");
    boolean now = r == null || r.isNull() || r.booleanValue();
    FirstStageSettings next =
        new FirstStageSettings(base.with(given.stages()).stages(), given.trainAfterDocuments());
    List<String> retrain = now ? given.stages() : List.of();
    ctx.status(202)
        .json(
            Map.of("first_stages", IndexJson.firstStages(li.configureFirstStages(next, retrain))));
  }

  /**
   * The first stages of {@code s} that an index with {@code poolFactor} can maintain. Those that
   * need every row's word piece ({@link FirstStage#needsAnnotations()}: COIL and SLIM), which a
   * pooled index does not keep: "all" leaves them out there, naming them is a 400.
   */
  static FirstStageSettings applicable(FirstStageSettings s, JsonNode body, int poolFactor) {
    if (poolFactor == 1) return s;
    List<String> needRows =
        FirstStages.DEFAULT.all().stream()
            .filter(FirstStage::needsAnnotations)
            .map(FirstStage::name)
            .toList();
    List<String> withoutRows =
        FirstStages.DEFAULT.all().stream()
            .filter(f -> !f.needsAnnotations())
            .map(FirstStage::name)
            .toList();
    if (body.path("first_stages").isTextual())
      return new FirstStageSettings(
          s.stages().stream().filter(n -> !needRows.contains(n)).toList(), s.trainAfterDocuments());
    for (String n : s.stages())
      if (needRows.contains(n))
        throw Refusal.invalid(
            "invalid_request",
            "the '"
                + n
                + "' first stage needs the word piece of every token row, which an index with"
                + " pool_factor "
                + poolFactor
                + " does not keep; use pool_factor 1, or the "
                + String.join(" and ", withoutRows)
                + " first stages");
    return s;
  }

  private void remove(Context ctx) throws Exception {
    auth.authorize(ctx, true);
    LiveIndex li = registry.get(ClientInput.pathParam(ctx, "name"));
    String stage = ClientInput.pathParam(ctx, "stage");
    if (!FirstStages.builders().containsKey(stage))
      throw Refusal.notFound(
          "no first stage named \""
              + (stage.length() > 40 ? stage.substring(0, 40) + "…" : stage)
              + "\"; first stages: "
              + String.join(", ", FirstStages.builders().keySet()));
    if (!li.removeFirstStage(stage))
      throw Refusal.notFound(
          "index \"" + li.name + "\" does not maintain the '" + stage + "' first stage");
    ctx.json(Map.of("deleted", true));
  }
}
