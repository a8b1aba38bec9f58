package dev.latte.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * The job's output folder on any Hadoop file system ({@code file://}, {@code hdfs://}, object
 * stores): shards are published by copying a finished local folder aside and renaming it into
 * place, and the manifest is written last, through a temporary name.
 */
final class HadoopOutput implements Serializable {
  static final String ATTEMPTS = "_attempts";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String output;
  private final Map<String, String> conf;

  HadoopOutput(String output, Configuration conf) {
    this.output = output;
    this.conf = new HashMap<>();
    for (Map.Entry<String, String> e : conf) this.conf.put(e.getKey(), e.getValue());
  }

  FileSystem fs() throws IOException {
    Configuration c = new Configuration(false);
    conf.forEach(c::set);
    FileSystem fs = root().getFileSystem(c);
    // The local file system's checksum files would clutter every shard folder.
    return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
  }

  Path root() {
    return new Path(output);
  }

  /** The published result of shard folder {@code name}, or null when it is not published. */
  ShardWriter.Result readShardResult(String name) throws IOException {
    FileSystem fs = fs();
    Path done = new Path(new Path(root(), name), ShardWriter.DONE_FILE);
    if (!fs.exists(done)) return null;
    try (InputStream in = fs.open(done)) {
      return JSON.readValue(in, ShardWriter.Result.class);
    }
  }

  /**
   * Publishes local folder {@code local} as shard folder {@code name}, with {@code done} (its
   * result) written inside last: copied aside first, renamed into place only once complete. A
   * folder of the same name left by another job is replaced; one published meanwhile by another
   * attempt of this task (speculation) is kept and this copy dropped.
   */
  void publish(String name, java.nio.file.Path local, byte[] done, TaskContext task)
      throws IOException {
    FileSystem fs = fs();
    Path attempt =
        new Path(
            new Path(root(), ATTEMPTS),
            name + "-" + (task == null ? "0" : Long.toString(task.taskAttemptId())));
    fs.delete(attempt, true);
    fs.mkdirs(attempt.getParent());
    fs.copyFromLocalFile(false, true, new Path(local.toUri()), attempt);
    try (OutputStream out = fs.create(new Path(attempt, ShardWriter.DONE_FILE), true)) {
      out.write(done);
    }
    Path target = new Path(root(), name);
    if (fs.exists(target)) {
      ShardWriter.Result there = readShardResult(name);
      ShardWriter.Result ours = JSON.readValue(done, ShardWriter.Result.class);
      if (there != null && there.job().equals(ours.job())) {
        fs.delete(attempt, true);
        return;
      }
      fs.delete(target, true);
    }
    if (!fs.rename(attempt, target))
      throw new IOException("cannot rename " + attempt + " to " + target);
  }

  /** Writes {@code bytes} to {@code name} under the root through a temporary file and a rename. */
  void writeAtomically(String name, byte[] bytes) throws IOException {
    FileSystem fs = fs();
    Path tmp = new Path(root(), "." + name + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(bytes);
    }
    Path target = new Path(root(), name);
    fs.delete(target, false);
    if (!fs.rename(tmp, target)) throw new IOException("cannot rename " + tmp + " to " + target);
  }

  /** Writes a file under the root (parents created). */
  void write(String name, byte[] bytes) throws IOException {
    try (OutputStream out = fs().create(new Path(root(), name), true)) {
      out.write(bytes);
    }
  }

  /** The text of a file under the root, or null when there is none. */
  String readIfExists(String name) throws IOException {
    FileSystem fs = fs();
    Path p = new Path(root(), name);
    if (!fs.exists(p)) return null;
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  void delete(String name) throws IOException {
    fs().delete(new Path(root(), name), true);
  }
}
