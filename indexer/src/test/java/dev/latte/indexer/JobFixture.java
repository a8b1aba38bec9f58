package dev.latte.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;

/**
 * A precomputed-vectors collection with bad, empty and duplicate records planted, the job over it,
 * and a process entry point ({@link #main}) so a test can kill a real job with SIGKILL.
 */
final class JobFixture {
  static final int DIM = 16;
  static final int BATCH = 8; // window = 128 records
  static final long COMMIT_EVERY = 256;

  private JobFixture() {}

  /** {@code n} records; every 97th is broken JSON, every 89th repeats an earlier id. */
  static void writeCollection(Path file, int n, long seed) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Random rnd = new Random(seed);
    try (BufferedWriter w = Files.newBufferedWriter(file)) {
      for (int i = 0; i < n; i++) {
        if (i % 97 == 50) {
          w.write("{\"_id\": \"broken" + i + "\", \"vectors\": [[0.1, \n");
          continue;
        }
        ObjectNode o = json.createObjectNode();
        o.put("_id", i % 89 == 88 ? "d" + (i - 40) : "d" + i);
        o.put("text", "document " + i);
        var rows = o.putArray("vectors");
        int len = 1 + rnd.nextInt(12);
        for (int r = 0; r < len; r++) {
          var row = rows.addArray();
          for (int c = 0; c < DIM; c++) row.add(rnd.nextFloat() * 2 - 1);
        }
        w.write(json.writeValueAsString(o));
        w.write('\n');
      }
    }
  }

  static IndexJob job(Path input, Path index, LatteIndexWriter writer, IndexJob.OnError onError) {
    Corpus corpus = Corpus.open(input.toString(), null, FieldMapping.DEFAULT);
    return new IndexJob(
        corpus,
        corpus.fingerprint(),
        writer,
        new EncodingPipeline(null, 2, BATCH),
        Map.of("model", "test", "batch_size", "" + BATCH),
        new IndexJob.Options(COMMIT_EVERY, 1e9, onError),
        true,
        index);
  }

  static LatteIndexWriter writer(Path index) throws Exception {
    return LatteIndexWriter.openForEncoded(
        index, ModelIdentity.precomputed("test", DIM), "test", "", IndexOptions.DEFAULT);
  }

  /**
   * Runs the job; prints {@code start <committed indexed>}, then {@code written <n>} after each
   * batch (sleeping a little per document, so a kill lands mid-job), then {@code done}.
   */
  public static void main(String[] args) throws Exception {
    Path input = Path.of(args[0]);
    Path index = Path.of(args[1]);
    long sleepMicros = Long.parseLong(args[2]);
    try (LatteIndexWriter w = writer(index)) {
      JobState prior = IndexJob.committedState(w);
      System.out.println("start " + (prior == null ? 0 : prior.counters().indexed()));
      System.out.flush();
      java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
      job(input, index, w, IndexJob.OnError.SKIP)
          .run(
              new IndexProgress() {
                @Override
                public void start(long total) {}

                @Override
                public void advance(long documents) {
                  long n = written.addAndGet(documents);
                  synchronized (System.out) {
                    System.out.println("written " + n);
                    System.out.flush();
                  }
                  try {
                    Thread.sleep(sleepMicros * documents / 1000);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
              });
      System.out.println("done");
    }
  }

  /** Every live document: id -> stored token matrix bytes + text; fails on an id seen twice. */
  static Map<String, String> contents(Path index) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (var dir = FSDirectory.open(index);
        DirectoryReader r = DirectoryReader.open(dir)) {
      for (LeafReaderContext leaf : r.leaves()) {
        BinaryDocValues tokens = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
        Bits live = leaf.reader().getLiveDocs();
        var stored = leaf.reader().storedFields();
        for (int d = 0; d < leaf.reader().maxDoc(); d++) {
          if (live != null && !live.get(d)) continue;
          var doc = stored.document(d);
          String id = doc.get(IndexLayout.ID);
          if (!tokens.advanceExact(d)) throw new AssertionError(id + " has no matrix");
          String value =
              java.util.HexFormat.of()
                      .formatHex(
                          tokens.binaryValue().bytes,
                          tokens.binaryValue().offset,
                          tokens.binaryValue().offset + tokens.binaryValue().length)
                  + "|"
                  + doc.get(IndexLayout.TEXT);
          if (out.put(id, value) != null) throw new AssertionError("id " + id + " twice");
        }
      }
    }
    return out;
  }
}
