package dev.safeguard.cli;

import dev.safeguard.rules.CompiledRule;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleLoader;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The built-in pack every command but {@code --version} and help compiles. A process that runs one command starts
 * loading it before picocli has even read the commands' annotations ({@link #preload}), so that the two overlap (a
 * one-manifest check on two cores: 0.39 s to 0.38 s; the cores are mostly busy already). Without a preload (tests
 * run many commands in one process) each command loads its own.
 */
final class BuiltInPack {

    /** A loader (its compiler also compiles a policy file's custom rules) and the pack it compiled. */
    record Loaded(RuleLoader loader, List<CompiledRule> pack) {
    }

    private static final AtomicReference<CompletableFuture<Loaded>> PRELOADED = new AtomicReference<>();

    private BuiltInPack() {
    }

    /** Starts loading the pack on a thread of its own, for the next {@link #take} of this process. */
    static void preload() {
        PRELOADED.set(Loading.start("safeguard-pack-loader", BuiltInPack::load));
    }

    /** The preloaded pack (once), else one loaded now; a broken pack is the same RuleLoadException either way. */
    static Loaded take() throws RuleLoadException {
        CompletableFuture<Loaded> preloaded = PRELOADED.getAndSet(null);
        return preloaded == null ? load() : Loading.join(preloaded);
    }

    private static Loaded load() throws RuleLoadException {
        RuleLoader loader = new RuleLoader(new RuleCompiler());
        return new Loaded(loader, loader.loadBuiltInPack());
    }
}
