using Dllm.Chat;
using Dllm.Training.Data;

namespace Dllm.Training.Tests;

public sealed class DemoCorpusTests
{
    [Fact]
    public void Same_seed_gives_the_same_examples_and_another_seed_others()
    {
        var a = DemoCorpus.Generate(200, seed: 5, DemoSplit.Train);
        var b = DemoCorpus.Generate(200, seed: 5, DemoSplit.Train);
        var c = DemoCorpus.Generate(200, seed: 6, DemoSplit.Train);
        Assert.Equal(a.Select(e => e.Prompt.Text + e.Response), b.Select(e => e.Prompt.Text + e.Response));
        Assert.NotEqual(a.Select(e => e.Prompt.Text + e.Response), c.Select(e => e.Prompt.Text + e.Response));
        Assert.Equal(DemoCorpus.Tasks.Select(t => t.Task.Name).Order(), a.Select(e => e.Task).Distinct().Order());
    }

    [Fact]
    public void Counting_uses_the_seed_prompt_and_comma_separated_numbers()
    {
        var up = new CountingTask(down: false).ForCount(5);
        Assert.Equal("<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write the number from 1 to 5 <|role_end|><role>ASSISTANT</role>", up.Prompt.Text);
        Assert.Equal("1, 2, 3, 4, 5<|role_end|>", up.Response);
        Assert.Equal("128, 127, 126", string.Join(", ", new CountingTask(down: true).ForCount(128).Answer.Split(", ").Take(3)));
    }

    [Fact]
    public void Held_out_counts_are_spread_over_digits_and_never_appear_in_training()
    {
        var heldOutCounts = Enumerable.Range(1, CountingTask.MaxCount).Where(HeldOutRule.IsHeldOutCount).ToList();
        Assert.Equal([6, 8, 11, 35, 42, 57, 60, 73, 79, 91, 112, 121], heldOutCounts);
        var train = DemoCorpus.Generate(400, seed: 1, DemoSplit.Train);
        var heldOut = DemoCorpus.Generate(200, seed: 1, DemoSplit.HeldOut);
        int Count(DemoExample e) => e.Answer.Split(", ").Length;
        Assert.All(train.Where(e => e.Task.StartsWith("count", StringComparison.Ordinal)), e => Assert.DoesNotContain(Count(e), heldOutCounts));
        Assert.All(heldOut.Where(e => e.Task.StartsWith("count", StringComparison.Ordinal)), e => Assert.Contains(Count(e), heldOutCounts));
        // Every last digit but 4 is held out somewhere, and every digit still ends some trained N.
        Assert.Equal(10, train.Where(e => e.Task == "count-up").Select(e => Count(e) % 10).Distinct().Count());
        var trainPrompts = train.Where(e => e.Task != "memorised").Select(e => e.Prompt.Text).ToHashSet();
        Assert.DoesNotContain(heldOut.Where(e => e.Task != "memorised"), e => trainPrompts.Contains(e.Prompt.Text));
    }

    [Fact]
    public void Counting_comes_in_the_seed_phrasing_and_without_its_spaces()
    {
        var prompts = DemoCorpus.Generate(400, seed: 2, DemoSplit.Train).Where(e => e.Task == "count-up").Select(e => e.Messages[0].Content).ToList();
        Assert.Contains(prompts, p => p.StartsWith(" Write the number from 1 to ", StringComparison.Ordinal) && p.EndsWith(' '));
        Assert.Contains(prompts, p => p.StartsWith("Write the number from 1 to ", StringComparison.Ordinal) && !p.EndsWith(' '));
    }

    [Fact]
    public void The_evaluation_set_counts_to_every_held_out_N_in_both_phrasings()
    {
        var set = DemoCorpus.EvaluationSet(perTask: 4, seed: 3);
        Assert.Equal(24, set.Count(e => e.Task == "count-up"));
        Assert.Equal(24, set.Count(e => e.Task == "count-down"));
        Assert.Equal(MemorisedTask.Answers.Count, set.Count(e => e.Task == "memorised"));
        Assert.All(set.GroupBy(e => e.Task).Where(g => !g.Key.StartsWith("count", StringComparison.Ordinal) && g.Key != "memorised"), g => Assert.Equal(4, g.Count()));
        Assert.Equal(set.Select(e => e.Prompt.Text), DemoCorpus.EvaluationSet(perTask: 4, seed: 3).Select(e => e.Prompt.Text));
    }

    [Fact]
    public void Tool_calls_name_a_function_of_the_tools_block_with_or_without_a_plugin_prefix()
    {
        var calls = DemoCorpus.Generate(600, seed: 4, DemoSplit.Train).Where(e => e.Task == "tool-call").ToList();
        Assert.All(calls, e => Assert.Contains(e.Tools, t => e.Answer.Contains($"\"name\": \"{t.Name}\"", StringComparison.Ordinal)));
        Assert.Contains(calls, e => e.Tools.All(t => t.Name.StartsWith("get_", StringComparison.Ordinal)));
        Assert.Contains(calls, e => e.Tools.All(t => t.Name.Contains("-get_", StringComparison.Ordinal)));
        Assert.Contains(calls, e => e.Tools.Count == 1);
    }

    [Fact]
    public void Every_generated_task_has_its_answer_format()
    {
        var random = new Random(3);
        var copy = new StringTask(reverse: false).Generate(random, DemoSplit.Train);
        Assert.Equal(copy.Answer, copy.Messages[0].Content["Repeat exactly: ".Length..]);
        var reverse = new StringTask(reverse: true).Generate(random, DemoSplit.Train);
        Assert.Equal(new string([.. reverse.Answer.Reverse()]), reverse.Messages[0].Content["Reverse the text: ".Length..]);
        var sum = new ArithmeticTask().Generate(random, DemoSplit.Train);
        var parts = sum.Answer.Split(' ');
        int expected = parts[1] == "+" ? int.Parse(parts[0]) + int.Parse(parts[2]) : int.Parse(parts[0]) - int.Parse(parts[2]);
        Assert.Equal(expected, int.Parse(parts[4]));
        var sort = new SortTask().Generate(random, DemoSplit.Train);
        var numbers = sort.Messages[0].Content.Split(": ")[1].Split(", ").Select(int.Parse);
        Assert.Equal(string.Join(", ", numbers.Order()), sort.Answer);
    }

    [Fact]
    public void Tool_call_is_written_as_the_template_writes_one_and_parses()
    {
        var call = new ToolTask(withObservation: false).Generate(new Random(2), DemoSplit.Train);
        Assert.Contains("<tools>", call.Prompt.Text);
        Assert.Contains("get_weather", call.Prompt.Text);
        Assert.StartsWith("<tool_call>\n{\"name\": \"get_", call.Answer);
        Assert.EndsWith("\"}}\n</tool_call>", call.Answer);
        var parsed = ToolCallParser.Parse(call.Answer);
        Assert.Single(parsed.ToolCalls);
        // The same call rendered by the template as an assistant turn is the same text.
        var turn = ChatTemplate.Render([ChatTurn.Assistant("", new ToolCallRequest(parsed.ToolCalls[0].Name!, parsed.ToolCalls[0].ArgumentsJson!))], null, false);
        Assert.Contains("<role>ASSISTANT</role>" + call.Answer + "<|role_end|>", turn);
    }

    [Fact]
    public void Tool_answer_sees_the_observation_and_uses_it()
    {
        var example = new ToolTask(withObservation: true).Generate(new Random(4), DemoSplit.Train);
        Assert.Contains("<role>OBSERVATION</role>\n<tool_response>\n{\"city\": ", example.Prompt.Text);
        Assert.EndsWith("</tool_response><|role_end|><role>ASSISTANT</role>", example.Prompt.Text);
        string city = example.Messages[0].Content.Split(' ')[^1].TrimEnd('?');
        Assert.Contains(city, example.Answer);
        string result = example.Messages[2].Content;
        Assert.True(result.Contains("\"time\": \"" + example.Answer.Split(' ')[2], StringComparison.Ordinal) || example.Answer.Contains(result.Split("\"condition\": \"")[1].TrimEnd('}', '"'), StringComparison.Ordinal));
    }

    [Fact]
    public void Memorised_answers_hold_the_seed_great_wall_prompt()
    {
        Assert.Contains(MemorisedTask.Answers, a => a.Prompt == " Write a brief introduction of the great wall ");
    }
}
