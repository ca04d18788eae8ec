package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/rules.md is generated from the pack; this fails when someone changed a rule and not the docs. */
class RulesReferenceTest {

    static final Path DOC = Path.of("docs/rules.md");

    @Test
    void rulesReferenceIsUpToDate() throws Exception {
        String expected = RulesReference.markdown(new RuleLoader(new RuleCompiler()).loadBuiltInPack());
        if (Boolean.getBoolean("safeguard.write")) {
            Files.createDirectories(DOC.getParent());
            Files.writeString(DOC, expected);
        }
        assertThat(Files.exists(DOC)).as("%s is missing; generate it with: %s", DOC, RulesReference.REGENERATE).isTrue();
        assertThat(Files.readString(DOC))
                .as("%s is stale; regenerate it with: %s", DOC, RulesReference.REGENERATE)
                .isEqualTo(expected);
    }
}
