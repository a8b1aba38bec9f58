package dev.latte.cli;

import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexProgress;
import java.io.IOException;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Pieces shared by the commands. */
final class Common {
  static final int CORES = Runtime.getRuntime().availableProcessors();

  private Common() {}

  /**
   * Loads {@code --model} ({@code default} = the bundled model) with {@code sessions} concurrent
   * ONNX sessions sharing the cores.
   */
  static OnnxTokenEncoder encoder(String model, int sessions) throws IOException {
    int s = Math.max(1, sessions);
    return OnnxTokenEncoder.load(BundledModel.resolve(model), s, Math.max(1, CORES / s));
  }

  /** A terminal progress bar fed by the indexer. */
  static IndexProgress progressBar(String task) {
    return new IndexProgress() {
      ProgressBar bar;

      @Override
      public synchronized void start(long total) {
        bar =
            new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" docs", 1)
                .setStyle(ProgressBarStyle.ASCII)
                .showSpeed()
                .setUpdateIntervalMillis(500)
                .build();
      }

      @Override
      public synchronized void advance(long documents) {
        if (bar != null) bar.stepBy(documents);
      }

      @Override
      public synchronized void close() {
        if (bar != null) bar.close();
        bar = null;
      }
    };
  }
}
