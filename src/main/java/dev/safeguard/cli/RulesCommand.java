package dev.safeguard.cli;

import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleLoader;
import dev.safeguard.rules.RuleSet;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code safeguard rules}: the rule pack with the actions in force. */
@Command(name = "rules", mixinStandardHelpOptions = true,
        description = "List the safeguard rules: id, category, action and title.")
final class RulesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws RuleLoadException {
        RuleSet rules = RuleSet.withDefaults(new RuleLoader(new RuleCompiler()).loadBuiltInPack());
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-28s %-12s %-7s %s%n", "RULE", "CATEGORY", "ACTION", "TITLE");
        for (RuleSet.Entry entry : rules.entries()) {
            out.printf("%-28s %-12s %-7s %s%n", entry.id(), entry.rule().category().id(), entry.action().id(),
                    entry.rule().definition().title());
        }
        out.flush();
        return SafeguardCommand.OK;
    }
}
