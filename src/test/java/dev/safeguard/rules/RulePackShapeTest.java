package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What every rule of the built-in pack must have, beyond compiling: a fix, and no sub-expression written twice. */
class RulePackShapeTest {

    /** Characters of (whitespace-folded) CEL two places of one rule may share before it is written twice. */
    static final int REPEAT = 80;

    static List<CompiledRule> pack;

    @BeforeAll
    static void loadPack() throws RuleLoadException {
        pack = new RuleLoader(new RuleCompiler()).loadBuiltInPack();
    }

    @Test
    void everyRuleSaysHowToFixAViolation() {
        assertThat(pack).allSatisfy(rule -> {
            assertThat(rule.remediation()).as("%s remediation", rule.id()).isNotNull();
            assertThat(rule.remediation().template()).as("%s remediation", rule.id()).isNotBlank();
        });
    }

    @Test
    void everyParamIsDescribed() {
        assertThat(pack).allSatisfy(rule -> assertThat(rule.params().declared())
                .allSatisfy(param -> assertThat(param.description()).as("%s params.%s", rule.id(), param.name())
                        .isNotBlank()));
    }

    /**
     * A predicate a rule needs twice (in its validation and its message) is a variable, written once: no run of
     * {@value #REPEAT} characters appears twice among a rule's variables, validation and message (what a has()
     * guards is not counted: {@code has(a.b) && a.b.exists(...)} names one field, it does not repeat a predicate).
     */
    @Test
    void noRuleWritesAnExpressionTwice() {
        List<String> repeated = new ArrayList<>();
        for (CompiledRule rule : pack) {
            List<String> expressions = new ArrayList<>();
            rule.definition().variables().forEach(variable -> expressions.add(variable.expression()));
            expressions.add(rule.definition().validation());
            expressions.add(rule.definition().message());
            Map<String, Integer> seen = new HashMap<>();
            for (int e = 0; e < expressions.size(); e++) {
                // A field path under has() and then read is CEL's guard idiom, not a predicate written twice.
                String text = expressions.get(e).replaceAll("\\s+", " ").replaceAll("has\\([^()]*\\)", "has(.)").strip();
                for (int i = 0; i + REPEAT <= text.length(); i++) {
                    String run = text.substring(i, i + REPEAT);
                    Integer first = seen.putIfAbsent(run, e * 100_000 + i);
                    if (first != null && (first / 100_000 != e || first % 100_000 + REPEAT <= i)) {
                        repeated.add(rule.id() + ": " + run);
                        break;
                    }
                }
            }
        }
        assertThat(repeated).as("sub-expressions written twice (make them a variable)").isEmpty();
    }
}
