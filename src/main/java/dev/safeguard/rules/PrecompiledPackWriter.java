package dev.safeguard.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Build step (Maven, process-classes): compiles the built-in pack from source and writes its checked expressions to
 * {@code <classes>/}{@link PrecompiledExpressions#RESOURCE}, so the jar ships them.
 *
 * <pre>java -cp CLASSPATH dev.safeguard.rules.PrecompiledPackWriter target/classes</pre>
 */
public final class PrecompiledPackWriter {

    private PrecompiledPackWriter() {
    }

    public static void main(String... args) throws IOException, RuleLoadException {
        if (args.length != 1) {
            System.err.println("usage: PrecompiledPackWriter CLASSES_DIRECTORY");
            System.exit(2);
        }
        Path target = Path.of(args[0]).resolve(PrecompiledExpressions.RESOURCE);
        int count = write(target);
        System.out.println("precompiled " + count + " expressions of the built-in pack into " + target);
    }

    /** Compiles the pack and writes its expressions to {@code target}; returns how many. */
    static int write(Path target) throws IOException, RuleLoadException {
        Map<String, CelAbstractSyntaxTree> asts = new ConcurrentHashMap<>();
        RuleCompiler compiler = RuleCompiler.recording(asts);
        new RuleLoader(compiler).loadBuiltInPack();
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(partial)) {
            PrecompiledExpressions.write(asts, compiler.environment(), out);
        }
        Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return asts.size();
    }
}
