package dev.latte.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.List;

/** Registers the API's routes with Javalin and remembers them (the OpenAPI test compares them). */
final class RouteTable {
  private final JavalinConfig cfg;
  private final List<String> routes = new ArrayList<>();

  RouteTable(JavalinConfig cfg) {
    this.cfg = cfg;
  }

  /** {@code path} in Javalin's syntax: {@code {p}} a segment, {@code <p>} the rest of the path. */
  void add(String method, String path, Handler h) {
    switch (method) {
      case "GET" -> cfg.routes.get(path, h);
      case "POST" -> cfg.routes.post(path, h);
      case "DELETE" -> cfg.routes.delete(path, h);
      case "PATCH" -> cfg.routes.patch(path, h);
      default -> throw new IllegalArgumentException(method);
    }
    routes.add(method + " " + path.replace('<', '{').replace('>', '}'));
  }

  /** Every route as "METHOD /path/{param}", in registration order. */
  List<String> routes() {
    return List.copyOf(routes);
  }
}
