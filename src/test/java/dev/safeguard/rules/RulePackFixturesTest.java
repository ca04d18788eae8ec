package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every rule of the built-in pack against its pass/ and fail/ fixtures under
 * src/test/resources/safeguards/&lt;rule-id&gt;/, with the rule switched to deny so that rules that are off
 * by default are tested too.
 */
class RulePackFixturesTest {

    static final Path FIXTURES = Path.of("src/test/resources/safeguards");
    static List<CompiledRule> pack;

    @BeforeAll
    static void loadPack() throws RuleLoadException {
        pack = new RuleLoader(new RuleCompiler()).loadBuiltInPack();
    }

    @TestFactory
    Stream<DynamicTest> everyFixture() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        RuleEngine engine = new RuleEngine();
        for (CompiledRule rule : pack) {
            for (String outcome : List.of("pass", "fail")) {
                for (Path file : fixtures(rule.id(), outcome)) {
                    tests.add(DynamicTest.dynamicTest(rule.id() + " " + outcome + " " + file.getFileName(), file.toUri(),
                            () -> check(engine, rule, outcome.equals("fail"), Fixture.read(file))));
                }
            }
        }
        assertThat(tests).as("fixtures found").isNotEmpty();
        return tests.stream();
    }

    private static void check(RuleEngine engine, CompiledRule rule, boolean shouldFail, Fixture fixture)
            throws InvalidParamException {
        RuleSet rules = RuleSet.withDefaults(pack).withOverride(rule.id(), Action.DENY, fixture.params());
        assertThat(rule.matches(fixture.kind()))
                .as("%s is of kind %s, which %s does not match", fixture.file(), fixture.kind(), rule.id())
                .isTrue();
        List<RuleResult> results = engine.evaluate(rules, Subject.ofObject(fixture.object()), fixture.context());
        assertThat(results).filteredOn(result -> result.error() != null).as("rule errors on %s", fixture.file()).isEmpty();
        RuleResult own = results.stream().filter(result -> result.ruleId().equals(rule.id())).findFirst().orElseThrow();
        if (shouldFail) {
            assertThat(own.status()).as("%s must violate %s", fixture.file(), rule.id()).isEqualTo(RuleResult.Status.FAIL);
            // What the user reads: the message and its fix (message. Fix: remediation).
            String text = own.text();
            for (String expected : fixture.expected()) {
                assertThat(text).as("message of %s on %s", rule.id(), fixture.file()).contains(expected);
            }
        } else {
            assertThat(own.status()).as("%s must pass %s", fixture.file(), rule.id()).isEqualTo(RuleResult.Status.PASS);
        }
    }

    @Test
    void everyRuleHasPassAndFailFixturesForEveryKindItMatches() throws IOException {
        List<String> missing = new ArrayList<>();
        for (CompiledRule rule : pack) {
            for (String outcome : List.of("pass", "fail")) {
                Set<String> covered = new TreeSet<>();
                for (Path file : fixtures(rule.id(), outcome)) {
                    covered.add(Fixture.read(file).kind());
                }
                for (String kind : rule.definition().match().kinds()) {
                    if (!covered.contains(kind)) {
                        missing.add(rule.id() + "/" + outcome + ": no " + kind);
                    }
                }
            }
        }
        assertThat(missing).as("fixtures missing").isEmpty();
    }

    @Test
    void everyFixtureDirectoryBelongsToARule() throws IOException {
        Set<String> ids = new TreeSet<>(pack.stream().map(CompiledRule::id).toList());
        try (Stream<Path> directories = Files.list(FIXTURES)) {
            assertThat(directories.map(path -> path.getFileName().toString()).toList())
                    .as("fixture directories without a rule").allMatch(ids::contains);
        }
    }

    static List<Path> fixtures(String ruleId, String outcome) throws IOException {
        Path directory = FIXTURES.resolve(ruleId).resolve(outcome);
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
    }
}
