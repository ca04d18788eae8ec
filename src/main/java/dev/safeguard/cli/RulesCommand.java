package dev.safeguard.cli;

import dev.safeguard.rules.Policy;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleSet;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code safeguard rules}: the rule pack with the actions in force. */
@Command(name = "rules", mixinStandardHelpOptions = true,
        description = "List the safeguard rules: id, category, action (with --policy applied) and title.")
final class RulesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    PolicyOption policyOption;

    @Override
    public Integer call() throws RuleLoadException {
        Policy policy = policyOption.load();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-28s %-12s %-7s %s%n", "RULE", "CATEGORY", "ACTION", "TITLE");
        for (RuleSet.Entry entry : policy.rules().entries()) {
            out.printf("%-28s %-12s %-7s %s%n", entry.id(), entry.rule().category().id(), entry.action().id(),
                    entry.rule().definition().title());
        }
        out.printf("%nPolicy %s, mode %s%s.%n", policy.name(), policy.mode().id(),
                policy.excludedNamespaces().isEmpty() ? ""
                        : ", namespaces excluded: " + String.join(", ", policy.excludedNamespaces().stream().sorted().toList()));
        out.flush();
        return SafeguardCommand.OK;
    }
}
