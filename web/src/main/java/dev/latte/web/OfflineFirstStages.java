package dev.latte.web;

import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.lucene.index.DirectoryReader;

/**
 * The states of a read-only index's first stages, those built offline ({@code ./latte index
 * --first-stage}): ready when in step with the snapshot's reader, else stale. Checked once per
 * snapshot, not per request.
 */
final class OfflineFirstStages {
  private record Known(DirectoryReader reader, List<MaintainedStage.Status> states) {}

  private volatile Known known;

  /** The first stages built in {@code path}, by name, as they stand for {@code reader}. */
  List<MaintainedStage.Status> of(Path path, DirectoryReader reader) throws IOException {
    Known k = known;
    if (k != null && k.reader() == reader) return k.states();
    List<MaintainedStage.Status> out = new ArrayList<>();
    for (String n : new TreeSet<>(FirstStages.builders().keySet())) {
      if (!Files.isDirectory(FirstStageIndex.dir(path, n))) continue;
      boolean fresh = FirstStageIndex.isFresh(path, FirstStages.get(n).format(), reader);
      out.add(
          new MaintainedStage.Status(
              n, fresh ? MaintainedStage.State.READY : MaintainedStage.State.STALE, -1, null));
    }
    known = new Known(reader, out);
    return out;
  }
}
