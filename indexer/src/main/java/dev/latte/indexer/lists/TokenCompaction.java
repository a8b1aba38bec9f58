package dev.latte.indexer.lists;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.ShardManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Leaves one copy of the tokens: after a WARP build has written every live document's residual
 * codes into its lists (and the refs that find them), each main document whose lists copy is
 * byte-for-byte its own keeps only its header and centroid ids ({@link
 * StoredTokenMatrix#LISTED_VERSION}); the main index is then merged so the codes' bytes leave the
 * disk. Crash-safe by order: the lists and refs are complete and renamed into place before this
 * starts, and the main index changes in one Lucene commit, so a kill at any point leaves each
 * document's codes in the main index, in the lists, or in both. Documents written afterwards keep
 * their codes in the main index until the next build.
 */
public final class TokenCompaction {
  private TokenCompaction() {}

  /**
   * Commit user data key set once documents' codes have moved into the lists: from then on the WARP
   * stage holds the only copy of them and may be rebuilt but never removed.
   */
  public static final String CODES_IN_LISTS_KEY = "latte.codes_in_lists";

  /** True if the main commit with this user data may have documents whose codes are in lists. */
  public static boolean keepsCodesInLists(java.util.Map<String, String> commitUserData) {
    return "true".equals(commitUserData.get(CODES_IN_LISTS_KEY));
  }

  /** What a compaction did: documents whose codes now live only in the lists, and the others. */
  public record Result(int moved, int kept) {}

  /**
   * Moves the codes of {@code index} (every shard of a sharded one) into its WARP lists; nothing to
   * do when it has no refs. The caller must not hold the index's write lock.
   */
  public static Result moveCodesToLists(Path index) throws IOException {
    Path p = index.toAbsolutePath().normalize();
    if (ShardManifest.isSharded(p)) {
      int moved = 0, kept = 0;
      for (var s : ShardManifest.read(p).shards()) {
        Result r = moveCodesToLists(p.resolve(s.name()));
        moved += r.moved();
        kept += r.kept();
      }
      return new Result(moved, kept);
    }
    if (!Files.exists(p.resolve(ListedCodes.FOLDER).resolve(WarpRefs.FILE)))
      return new Result(0, 0);
    IndexWriterConfig cfg =
        new IndexWriterConfig(IndexLayout.analyzer())
            .setSimilarity(IndexLayout.similarity())
            .setOpenMode(IndexWriterConfig.OpenMode.APPEND)
            .setMergePolicy(new RewriteOnForce(new org.apache.lucene.index.TieredMergePolicy()));
    int moved = 0, kept = 0;
    try (Directory dir = FSDirectory.open(p);
        IndexWriter writer = new IndexWriter(dir, cfg)) {
      try (DirectoryReader reader = DirectoryReader.open(writer)) {
        Plan plan = plan(reader, p);
        kept = plan.kept();
        for (Move m : plan.moves()) {
          writer.updateBinaryDocValue(
              new Term(IndexLayout.ID, m.id()), IndexLayout.TOKENS, new BytesRef(m.listed()));
          moved++;
        }
      }
      if (moved > 0) {
        // Rewrites every segment (one already merged too): doc-values updates live in files beside
        // a segment whose own files still hold the old values, until a merge writes it anew.
        writer.forceMerge(1);
        java.util.Map<String, String> data = new java.util.LinkedHashMap<>();
        var live = writer.getLiveCommitData();
        if (live != null) for (var e : live) data.put(e.getKey(), e.getValue());
        data.put(CODES_IN_LISTS_KEY, "true");
        writer.setLiveCommitData(data.entrySet());
        writer.commit();
      }
    }
    if (moved > 0) {
      try (Directory dir = FSDirectory.open(p);
          DirectoryReader reader = DirectoryReader.open(dir)) {
        dev.latte.indexer.IndexStats.compute(
                reader,
                dev.latte.indexer.LatteIndexReaderSupport.metadataOf(reader.getIndexCommit()))
            .writeTo(p);
      }
    }
    return new Result(moved, kept);
  }

  /** A document whose codes the lists hold byte for byte: its id, version and listed value. */
  public record Move(String id, long seq, byte[] listed) {}

  /** What a compaction may do: the documents it may move, and how many keep their codes. */
  public record Plan(List<Move> moves, int kept) {}

  /**
   * The live documents of {@code reader} (of the main index at {@code index}, with the WARP lists
   * and refs beside it) whose residual codes the lists hold byte for byte and which still store
   * them: what a compaction may move. Reads only (a live server plans aside, without its lock).
   */
  public static Plan plan(DirectoryReader reader, Path index) throws IOException {
    Path p = index.toAbsolutePath().normalize();
    if (!Files.exists(p.resolve(ListedCodes.FOLDER).resolve(WarpRefs.FILE)))
      return new Plan(List.of(), 0);
    ListedCodes codes = ListedCodes.of(p);
    List<Move> moves = new ArrayList<>();
    int kept = 0;
    BytesRef resolved = new BytesRef(new byte[1024]);
    byte[] block = new byte[codes.blockBytes()];
    for (LeafReaderContext leaf : reader.leaves()) {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      NumericDocValues seqs = leaf.reader().getNumericDocValues(IndexLayout.SEQ);
      if (values == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      var stored = leaf.reader().storedFields();
      for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc()) {
        if (live != null && !live.get(d)) continue;
        BytesRef v = values.binaryValue();
        if (StoredTokenMatrix.isListed(v.bytes, v.offset, v.length)) continue;
        int dim =
            Short.toUnsignedInt(
                (short) ((v.bytes[v.offset + 2] & 0xFF) | (v.bytes[v.offset + 3] & 0xFF) << 8));
        StoredTokenMatrix.Header h = StoredTokenMatrix.header(v.bytes, v.offset, v.length, dim);
        long seq = seqs != null && seqs.advanceExact(d) ? seqs.longValue() : -1;
        if (!h.codec().isResidual() || seq < 0 || !codes.holds(seq)) {
          kept++;
          continue;
        }
        byte[] listed = StoredTokenMatrix.listed(v.bytes, v.offset, v.length, dim);
        codes.resolve(seq, new BytesRef(listed), resolved, block);
        // Only a byte-for-byte equal lists copy may become the only one.
        if (!Arrays.equals(
            resolved.bytes, 0, resolved.length, v.bytes, v.offset, v.offset + v.length)) {
          kept++;
          continue;
        }
        String id = stored.document(d, Set.of(IndexLayout.ID)).get(IndexLayout.ID);
        moves.add(new Move(id, seq, listed));
      }
    }
    return new Plan(moves, kept);
  }

  /**
   * The moves of {@code planned} still valid in {@code current} (a newer reader of the same index):
   * the document with that id is live in the same version (write sequence number) and still stores
   * its codes. A document replaced since the plan keeps its new codes in the main index until the
   * next build; one deleted since is gone. Only a writer that serialises writes between this check
   * and its updates may apply the result.
   */
  public static List<Move> stillValid(DirectoryReader current, List<Move> planned)
      throws IOException {
    List<Move> out = new ArrayList<>(planned.size());
    List<LeafReaderContext> leaves = current.leaves();
    org.apache.lucene.index.TermsEnum[] terms =
        new org.apache.lucene.index.TermsEnum[leaves.size()];
    for (int i = 0; i < leaves.size(); i++) {
      var t = leaves.get(i).reader().terms(IndexLayout.ID);
      terms[i] = t == null ? null : t.iterator();
    }
    org.apache.lucene.index.PostingsEnum postings = null;
    for (Move m : planned) {
      BytesRef id = new BytesRef(m.id());
      boolean valid = false;
      for (int i = 0; i < leaves.size() && !valid; i++) {
        if (terms[i] == null || !terms[i].seekExact(id)) continue;
        var leaf = leaves.get(i).reader();
        Bits live = leaf.getLiveDocs();
        postings = terms[i].postings(postings, org.apache.lucene.index.PostingsEnum.NONE);
        for (int d = postings.nextDoc();
            d != DocIdSetIterator.NO_MORE_DOCS;
            d = postings.nextDoc()) {
          if (live != null && !live.get(d)) continue;
          NumericDocValues seqs = leaf.getNumericDocValues(IndexLayout.SEQ);
          BinaryDocValues values = leaf.getBinaryDocValues(IndexLayout.TOKENS);
          if (seqs == null || !seqs.advanceExact(d) || seqs.longValue() != m.seq()) break;
          if (values == null || !values.advanceExact(d)) break;
          BytesRef v = values.binaryValue();
          valid = !StoredTokenMatrix.isListed(v.bytes, v.offset, v.length);
          break;
        }
      }
      if (valid) out.add(m);
    }
    return out;
  }

  /**
   * A forced merge to one segment merges every segment that existed when it began into one, and
   * rewrites a lone segment that carries doc-values updates or deletions: Lucene's policies skip a
   * lone segment, whose original files would keep the moved codes beside their doc-values update.
   * Segments a merge produced are left alone (or it would never end); a forced merge to more
   * segments, and every natural merge, is the wrapped policy's. The main index writer's policy
   * ({@code LatteIndexWriter}), so that a server's compaction frees the bytes as the CLI's does.
   */
  public static final class RewriteOnForce extends org.apache.lucene.index.FilterMergePolicy {
    public RewriteOnForce(org.apache.lucene.index.MergePolicy in) {
      super(in);
    }

    @Override
    public MergeSpecification findForcedMerges(
        org.apache.lucene.index.SegmentInfos infos,
        int maxSegmentCount,
        java.util.Map<org.apache.lucene.index.SegmentCommitInfo, Boolean> segmentsToMerge,
        MergeContext context)
        throws IOException {
      if (maxSegmentCount != 1)
        return super.findForcedMerges(infos, maxSegmentCount, segmentsToMerge, context);
      List<org.apache.lucene.index.SegmentCommitInfo> original = new ArrayList<>();
      for (org.apache.lucene.index.SegmentCommitInfo info : infos)
        if (Boolean.TRUE.equals(segmentsToMerge.get(info))
            && !context.getMergingSegments().contains(info)) original.add(info);
      if (original.isEmpty()) return null;
      if (original.size() == 1
          && !original.getFirst().hasFieldUpdates()
          && !original.getFirst().hasDeletions()) return null;
      MergeSpecification spec = new MergeSpecification();
      spec.add(new OneMerge(original));
      return spec;
    }
  }
}
