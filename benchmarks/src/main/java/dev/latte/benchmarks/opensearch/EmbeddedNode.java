package dev.latte.benchmarks.opensearch;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.opensearch.Version;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.PluginInfo;

/**
 * A single OpenSearch node in this JVM with plugins from the classpath (as OpenSearch's own test
 * {@code MockNode} does, without any mock): real Netty HTTP on loopback, data under {@code home}.
 */
final class EmbeddedNode extends Node {

  EmbeddedNode(Path home, int httpPort, Collection<Class<? extends Plugin>> plugins) {
    super(
        InternalSettingsPreparer.prepareEnvironment(
            Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("cluster.name", "latte-bench")
                .put("node.name", "latte-bench-0")
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort)
                .put("transport.port", httpPort + 1)
                .put("discovery.type", "single-node")
                .put("http.type", "netty4")
                .put("transport.type", "netty4")
                // Bulk requests of Latte's stored bytes are large; the default is 100 MB.
                .put("http.max_content_length", "200mb")
                .build(),
            Map.of(),
            null,
            () -> "latte-bench-0"),
        plugins.stream()
            .map(
                p ->
                    new PluginInfo(
                        p.getName(),
                        "classpath plugin",
                        "NA",
                        Version.CURRENT,
                        "25",
                        p.getName(),
                        null,
                        List.of(),
                        false))
            .toList(),
        true);
  }
}
