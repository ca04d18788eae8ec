package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.CelAbstractSyntaxTree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in pack's expressions, precompiled at build time: a hit decides exactly as compiling does, an edited
 * expression misses and compiles, and a corrupt or stale file falls back to compiling.
 */
class PrecompiledExpressionsTest {

    static final Path FIXTURES = Path.of("src/test/resources/safeguards");

    static Map<String, CelAbstractSyntaxTree> recorded;
    static String environment;
    static byte[] written;

    @BeforeAll
    static void compileThePack() throws Exception {
        recorded = new ConcurrentHashMap<>();
        RuleCompiler recorder = RuleCompiler.recording(recorded);
        new RuleLoader(recorder).loadBuiltInPack();
        environment = recorder.environment();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrecompiledExpressions.write(recorded, environment, out);
        written = out.toByteArray();
    }

    /** A compiler that counts what it had to compile from source. */
    static RuleCompiler counting(PrecompiledExpressions precompiled, Map<String, CelAbstractSyntaxTree> compiled) {
        return new RuleCompiler(precompiled, compiled);
    }

    @Test
    void theShippedResourceHoldsEveryExpressionOfTheBuiltInPack() throws Exception {
        byte[] shipped;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(PrecompiledExpressions.RESOURCE)) {
            assertThat(in).as("%s on the classpath (made by the build: ./mvnw process-classes)",
                    PrecompiledExpressions.RESOURCE).isNotNull();
            shipped = in.readAllBytes();
        }
        PrecompiledExpressions precompiled = PrecompiledExpressions.read(shipped, environment);
        assertThat(precompiled.size()).as("entries usable in this environment").isEqualTo(recorded.size());
        Map<String, CelAbstractSyntaxTree> compiled = new ConcurrentHashMap<>();
        new RuleLoader(counting(precompiled, compiled)).loadBuiltInPack();
        assertThat(compiled).as("expressions the shipped resource missed").isEmpty();
        // And the default compiler takes it: the pack loads without compiling anything.
        assertThat(PrecompiledExpressions.builtIn(new RuleCompiler().environment()).size()).isEqualTo(recorded.size());
    }

    @Test
    void aHitDecidesEveryFixtureExactlyAsCompilingDoes() throws Exception {
        PrecompiledExpressions precompiled = PrecompiledExpressions.read(written, environment);
        Map<String, CelAbstractSyntaxTree> compiled = new ConcurrentHashMap<>();
        List<CompiledRule> fromCache = new RuleLoader(counting(precompiled, compiled)).loadBuiltInPack();
        List<CompiledRule> fromSource = new RuleLoader(RuleCompiler.fromSource()).loadBuiltInPack();
        assertThat(compiled).as("compiled despite the cache").isEmpty();

        RuleEngine engine = new RuleEngine();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(FIXTURES)) {
            files = walk.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThan(100);
        int violations = 0;
        for (Path file : files) {
            Fixture fixture = Fixture.read(file);
            List<RuleResult> cached = new ArrayList<>();
            List<RuleResult> compiledResults = new ArrayList<>();
            for (var pack : List.of(fromCache, fromSource)) {
                RuleSet rules = RuleSet.withDefaults(pack);
                for (CompiledRule rule : pack) {
                    rules = rules.withOverride(rule.id(), Action.DENY, Map.of());
                }
                (pack == fromCache ? cached : compiledResults).addAll(
                        engine.evaluate(rules, Subject.ofObject(fixture.object()), fixture.context()));
            }
            assertThat(cached).as("results on %s", file).isEqualTo(compiledResults);
            violations += (int) cached.stream().filter(RuleResult::violated).count();
        }
        assertThat(violations).as("violations compared (the fixtures fail rules)").isGreaterThan(50);
    }

    @Test
    void aRuntimeErrorReadsTheSameFromAHit() throws Exception {
        String rule = """
                id: missing-key
                title: Reads a key that is not there
                category: hygiene
                action: deny
                match: {kinds: [Deployment]}
                validation: "object.spec.nothing.here == 1"
                message: "'x'"
                """;
        Map<String, CelAbstractSyntaxTree> asts = new ConcurrentHashMap<>();
        CompiledRule fromSource = new RuleLoader(RuleCompiler.recording(asts)).load("missing-key.yaml", rule);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrecompiledExpressions.write(asts, environment, out);
        Map<String, CelAbstractSyntaxTree> compiled = new ConcurrentHashMap<>();
        CompiledRule fromCache = new RuleLoader(counting(PrecompiledExpressions.read(out.toByteArray(), environment),
                compiled)).load("missing-key.yaml", rule);
        assertThat(compiled).isEmpty();

        Map<String, Object> object = Map.of("kind", "Deployment", "metadata", Map.of("name", "web"), "spec", Map.of());
        RuleEngine engine = new RuleEngine();
        List<RuleResult> cached = engine.evaluate(RuleSet.withDefaults(List.of(fromCache)), Subject.ofObject(object),
                RelatedObjects.NONE);
        List<RuleResult> compiledResults = engine.evaluate(RuleSet.withDefaults(List.of(fromSource)),
                Subject.ofObject(object), RelatedObjects.NONE);
        assertThat(cached.get(0).error()).as("the rule errors").isNotNull();
        assertThat(cached).isEqualTo(compiledResults);
    }

    @Test
    void aChangedExpressionMissesAndIsCompiled() throws Exception {
        PrecompiledExpressions precompiled = PrecompiledExpressions.read(written, environment);
        Map<String, CelAbstractSyntaxTree> compiled = new ConcurrentHashMap<>();
        RuleLoader loader = new RuleLoader(counting(precompiled, compiled));
        String yaml = readPackRule("image-tag.yaml");
        CompiledRule original = loader.load("image-tag.yaml", yaml);
        assertThat(compiled).as("the unchanged rule is a hit").isEmpty();

        // Same rule, validation negated: must be compiled, and must decide the other way.
        String edited = yaml.replace("validation: size(variables.unpinned) == 0",
                "validation: size(variables.unpinned) != 0");
        assertThat(edited).isNotEqualTo(yaml);
        CompiledRule negated = loader.load("image-tag.yaml", edited);
        assertThat(compiled.keySet()).as("only the edited expression is compiled").hasSize(1);

        Fixture latest = Fixture.read(FIXTURES.resolve("image-tag/fail/statefulset-latest.yaml"));
        RuleEngine engine = new RuleEngine();
        RuleResult before = engine.evaluate(RuleSet.withDefaults(List.of(original)), Subject.ofObject(latest.object()),
                RelatedObjects.NONE).get(0);
        RuleResult after = engine.evaluate(RuleSet.withDefaults(List.of(negated)), Subject.ofObject(latest.object()),
                RelatedObjects.NONE).get(0);
        assertThat(before.status()).isEqualTo(RuleResult.Status.FAIL);
        assertThat(after.status()).isEqualTo(RuleResult.Status.PASS);
    }

    @Test
    void aCorruptFileFallsBackToCompiling() throws Exception {
        byte[] flipped = written.clone();
        flipped[flipped.length / 2] ^= 0x20;
        byte[] truncated = java.util.Arrays.copyOf(written, written.length - 100);
        for (byte[] corrupt : List.of(flipped, truncated, new byte[0], "not at all".getBytes())) {
            PrecompiledExpressions precompiled = PrecompiledExpressions.read(corrupt, environment);
            assertThat(precompiled.size()).isZero();
            Map<String, CelAbstractSyntaxTree> compiled = new ConcurrentHashMap<>();
            List<CompiledRule> pack = new RuleLoader(counting(precompiled, compiled)).loadBuiltInPack();
            assertThat(pack).hasSize(RuleLoader.builtInFiles().size());
            assertThat(compiled).as("everything compiled from source").hasSameSizeAs(recorded);
        }
    }

    @Test
    void aFileForAnotherEnvironmentIsIgnored() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrecompiledExpressions.write(recorded, "another environment", out);
        assertThat(PrecompiledExpressions.read(out.toByteArray(), environment).size()).isZero();
        assertThat(PrecompiledExpressions.read(out.toByteArray(), "another environment").size())
                .isEqualTo(recorded.size());
    }

    @Test
    void anUnknownKeyOrAnUnreadableEntryIsAMiss() {
        PrecompiledExpressions precompiled = PrecompiledExpressions.read(written, environment);
        String key = recorded.keySet().iterator().next();
        assertThat(precompiled.find(key)).isPresent();
        assertThat(precompiled.find("no such key")).isEmpty();
        assertThat(PrecompiledExpressions.ofEntries(Map.of(key, new byte[] {(byte) 0xff, 1, 2})).find(key)).isEmpty();
    }

    @Test
    void theKeyDependsOnFieldAndExpression() {
        RuleCompiler compiler = RuleCompiler.fromSource();
        assertThat(compiler.key("validation", "true")).isEqualTo(compiler.key("validation", "true"))
                .isNotEqualTo(compiler.key("message", "true"))
                .isNotEqualTo(compiler.key("validation", "true "));
    }

    private static String readPackRule(String file) throws IOException {
        try (InputStream in = PrecompiledExpressionsTest.class.getClassLoader()
                .getResourceAsStream(RuleLoader.PACK_DIRECTORY + file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
