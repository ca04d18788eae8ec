package dev.safeguard.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelProtoAbstractSyntaxTree;
import dev.cel.expr.CheckedExpr;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Type-checked CEL expressions of the built-in pack, made at build time ({@link PrecompiledPackWriter}) so that a
 * short run or the webhook's start-up does not build the CEL compiler and parse and check the pack again.
 *
 * <p>Entries are keyed by {@link RuleCompiler#key}: a hash of the CEL environment and the expression, so an edited
 * expression or a changed environment simply misses and is compiled. The file carries the environment it was made
 * for and a SHA-256 of its content: a stale, truncated or corrupt file is ignored as a whole (logged once) and
 * costs only speed, never a verdict. Layout ({@link DataOutputStream}): magic, format, environment, entry count,
 * then per entry its key and the bytes of a {@code google.api.expr.CheckedExpr}, then the SHA-256 of all before.
 */
public final class PrecompiledExpressions {

    /** Where the build writes the built-in pack's expressions (next to the pack, in the jar). */
    public static final String RESOURCE = RuleLoader.PACK_DIRECTORY + "precompiled-expressions.bin";

    private static final int MAGIC = 0x53475058; // "SGPX"
    private static final int FORMAT = 1;
    private static final int DIGEST_LENGTH = 32;
    private static final PrecompiledExpressions NONE = new PrecompiledExpressions(Map.of());
    private static final AtomicBoolean ENTRY_PROBLEM_LOGGED = new AtomicBoolean();

    private static volatile PrecompiledExpressions builtIn;

    private final Map<String, byte[]> entries;

    private PrecompiledExpressions(Map<String, byte[]> entries) {
        this.entries = entries;
    }

    /** Entries as stored (key to CheckedExpr bytes), unchecked: for tests. */
    static PrecompiledExpressions ofEntries(Map<String, byte[]> entries) {
        return new PrecompiledExpressions(Map.copyOf(entries));
    }

    /** Nothing precompiled: every expression is compiled. */
    public static PrecompiledExpressions none() {
        return NONE;
    }

    /**
     * The resource shipped in the jar, read once per process, or {@link #none()} when it is missing or unusable
     * for {@code environment}.
     */
    public static PrecompiledExpressions builtIn(String environment) {
        PrecompiledExpressions loaded = builtIn;
        if (loaded == null) {
            synchronized (PrecompiledExpressions.class) {
                if (builtIn == null) {
                    builtIn = readResource(environment);
                }
                loaded = builtIn;
            }
        }
        return loaded;
    }

    private static PrecompiledExpressions readResource(String environment) {
        try (InputStream in = PrecompiledExpressions.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                log(System.Logger.Level.DEBUG, RESOURCE + " is not on the classpath: compiling the rule pack");
                return NONE;
            }
            return read(in.readAllBytes(), environment);
        } catch (IOException e) {
            log(System.Logger.Level.INFO, RESOURCE + " cannot be read (" + e.getMessage() + "): compiling the rule pack");
            return NONE;
        }
    }

    /**
     * Reads precompiled expressions; anything unusable (corrupt, truncated, another format or environment) gives
     * {@link #none()} and one log line saying why.
     */
    public static PrecompiledExpressions read(byte[] content, String environment) {
        try {
            return parse(content, environment);
        } catch (IOException | RuntimeException e) {
            log(System.Logger.Level.INFO, RESOURCE + " is not usable (" + e.getMessage() + "): compiling the rule pack");
            return NONE;
        }
    }

    private static PrecompiledExpressions parse(byte[] content, String environment) throws IOException {
        if (content.length < DIGEST_LENGTH) {
            throw new EOFException("truncated");
        }
        byte[] body = Arrays.copyOf(content, content.length - DIGEST_LENGTH);
        byte[] digest = Arrays.copyOfRange(content, content.length - DIGEST_LENGTH, content.length);
        if (!MessageDigest.isEqual(sha256(body), digest)) {
            throw new IOException("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        if (in.readInt() != MAGIC || in.readInt() != FORMAT) {
            throw new IOException("not a precompiled-expressions file of format " + FORMAT);
        }
        String madeFor = in.readUTF();
        if (!madeFor.equals(environment)) {
            throw new IOException("made for another CEL environment: stale, rebuild to refresh it");
        }
        int count = in.readInt();
        if (count < 0 || count > 100_000) {
            throw new IOException("implausible entry count " + count);
        }
        Map<String, byte[]> entries = new HashMap<>(count * 2);
        for (int i = 0; i < count; i++) {
            String key = in.readUTF();
            int length = in.readInt();
            if (length < 0 || length > in.available()) {
                throw new EOFException("entry " + i + " is cut short");
            }
            entries.put(key, in.readNBytes(length));
        }
        if (in.available() != 0) {
            throw new IOException("trailing bytes after " + count + " entries");
        }
        return new PrecompiledExpressions(entries);
    }

    /** The checked expression stored under {@code key}, or empty (not there, or not readable: compile it). */
    public Optional<CelAbstractSyntaxTree> find(String key) {
        byte[] bytes = entries.get(key);
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(CelProtoAbstractSyntaxTree.fromCheckedExpr(CheckedExpr.parseFrom(bytes)).getAst());
        } catch (IOException | RuntimeException e) {
            if (ENTRY_PROBLEM_LOGGED.compareAndSet(false, true)) {
                log(System.Logger.Level.INFO, RESOURCE + " has an unreadable entry (" + e + "): compiling it");
            }
            return Optional.empty();
        }
    }

    public int size() {
        return entries.size();
    }

    /** Writes {@code asts} (key to checked expression) for {@code environment}, in key order so builds repeat. */
    public static void write(Map<String, CelAbstractSyntaxTree> asts, String environment, OutputStream out)
            throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(body);
        data.writeInt(MAGIC);
        data.writeInt(FORMAT);
        data.writeUTF(environment);
        data.writeInt(asts.size());
        for (Map.Entry<String, CelAbstractSyntaxTree> entry : new TreeMap<>(asts).entrySet()) {
            byte[] bytes = CelProtoAbstractSyntaxTree.fromCelAst(entry.getValue()).toCheckedExpr().toByteArray();
            data.writeUTF(entry.getKey());
            data.writeInt(bytes.length);
            data.write(bytes);
        }
        data.flush();
        out.write(body.toByteArray());
        out.write(sha256(body.toByteArray()));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Through System.Logger, got only when there is something to say: a short run does not start logging. */
    private static void log(System.Logger.Level level, String message) {
        System.getLogger(PrecompiledExpressions.class.getName()).log(level, message);
    }
}
