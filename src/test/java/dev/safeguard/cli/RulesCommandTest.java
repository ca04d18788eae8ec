package dev.safeguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesCommandTest {

    @TempDir
    Path dir;

    @Test
    void listsThePackWithDefaultActions() {
        Cli.Run run = Cli.run("rules");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).containsPattern("RULE +CATEGORY +ACTION +TITLE")
                .containsPattern("replicas-spread +reliability +deny +Multi-replica workloads spread across failure domains")
                .contains("Policy built-in, mode enforce.");
    }

    @Test
    void appliesThePolicy() throws Exception {
        Path policy = Cli.write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: platform}
                spec:
                  mode: audit
                  rules:
                    - id: replicas-spread
                      action: warn
                  customRules:
                    - id: team-label
                      title: Deployments name their team
                      category: hygiene
                      action: deny
                      match: {kinds: [Deployment]}
                      validation: "has(object.metadata.labels) && 'team' in object.metadata.labels"
                      message: "'add a team label'"
                  exclude: {namespaces: [sandbox, playground]}
                """);

        Cli.Run run = Cli.run("rules", "--policy", policy.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.out()).containsPattern("replicas-spread +reliability +warn ")
                .containsPattern("team-label +hygiene +deny +Deployments name their team")
                .contains("Policy platform, mode audit, namespaces excluded: playground, sandbox.");
    }

    @Test
    void aBadPolicyExitsTwo() throws Exception {
        Path policy = Cli.write(dir, "policy.yaml", "apiVersion: v1\nkind: ConfigMap\nspec: {}\n");

        Cli.Run run = Cli.run("rules", "--policy", policy.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains("expected apiVersion safeguard.dev/v1alpha1 and kind SafeguardPolicy");
    }
}
