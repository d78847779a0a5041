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
    public void Counting_ranges_join_only_when_weighted_and_can_keep_clear_of_every_held_out_N()
    {
        Assert.Equal(DemoCorpus.Generate(300, seed: 7, DemoSplit.Train).Select(e => e.Prompt.Text + e.Response),
            DemoCorpus.Generate(300, seed: 7, DemoSplit.Train, new CountingRangeRecipe(0)).Select(e => e.Prompt.Text + e.Response));
        var ranges = DemoCorpus.Generate(600, seed: 7, DemoSplit.Train, new CountingRangeRecipe(2, AvoidHeldOut: true)).Where(e => e.Task == "count-range").ToList();
        Assert.InRange(ranges.Count, 600 * 2 / 14 / 2, 600 * 2 / 14 * 2);
        foreach (var range in ranges)
        {
            var numbers = range.Answer.Split(", ").Select(int.Parse).ToList();
            string prompt = range.Messages[0].Content.Trim();
            Assert.Equal($"Write the number from {numbers[0]} to {numbers[^1]}", prompt);
            Assert.Equal(Math.Abs(numbers[^1] - numbers[0]) + 1, numbers.Count);
            Assert.True(Math.Min(numbers[0], numbers[^1]) > 1, prompt);
            Assert.False(HeldOutRule.IsHeldOutCount(numbers[0]) || HeldOutRule.IsHeldOutCount(numbers[^1]), prompt);
        }
        int First(DemoExample e) => int.Parse(e.Answer.Split(", ")[0]);
        int Last(DemoExample e) => int.Parse(e.Answer.Split(", ")[^1]);
        Assert.Contains(ranges, r => First(r) > Last(r));
        Assert.Contains(ranges, r => First(r) < Last(r));
    }

    [Fact]
    public void Counting_ranges_may_end_at_a_held_out_N_but_never_train_a_held_out_count_prompt()
    {
        var train = DemoCorpus.Generate(12000, seed: 7, DemoSplit.Train, new CountingRangeRecipe(2));
        var ranges = train.Where(e => e.Task == "count-range").Select(e => e.Answer.Split(", ").Select(int.Parse).ToList()).ToList();
        Assert.Contains(ranges, r => HeldOutRule.IsHeldOutCount(r[^1]));
        Assert.Contains(ranges, r => HeldOutRule.IsHeldOutCount(r[0]));
        Assert.DoesNotContain(ranges, r => Math.Min(r[0], r[^1]) == 1);
        // Both ends drawn alike (the default): a small number ends (and starts) about as many ranges as any other.
        Assert.InRange(ranges.Count(r => r[^1] <= 12), ranges.Count * 11 / 127 * 7 / 10, ranges.Count * 11 / 127 * 13 / 10);
        Assert.InRange(ranges.Count(r => r[0] <= 12), ranges.Count * 11 / 127 * 7 / 10, ranges.Count * 11 / 127 * 13 / 10);
        // Counting up, though, 2..12 end only about 0.7 % of the up ranges.
        Assert.InRange(ranges.Count(r => r[0] < r[^1] && r[^1] <= 12), 0, ranges.Count(r => r[0] < r[^1]) * 2 / 100);

        // The stop drawn first: a small number ends about as many ranges counting up as any other (8 %), and as many
        // counting down.
        var stopFirst = DemoCorpus.Generate(12000, seed: 7, DemoSplit.Train, new CountingRangeRecipe(2, StopFirst: true))
            .Where(e => e.Task == "count-range").Select(e => e.Answer.Split(", ").Select(int.Parse).ToList()).ToList();
        Assert.DoesNotContain(stopFirst, r => Math.Min(r[0], r[^1]) == 1);
        var upRanges = stopFirst.Where(r => r[0] < r[^1]).ToList();
        var downRanges = stopFirst.Where(r => r[0] > r[^1]).ToList();
        Assert.InRange(upRanges.Count(r => r[^1] <= 12), upRanges.Count * 10 / 126 * 7 / 10, upRanges.Count * 10 / 126 * 13 / 10);
        Assert.InRange(downRanges.Count(r => r[^1] <= 12), downRanges.Count * 11 / 126 * 7 / 10, downRanges.Count * 11 / 126 * 13 / 10);
        Assert.InRange(upRanges.Count, stopFirst.Count * 4 / 10, stopFirst.Count * 6 / 10);
        var trainedPrompts = train.Select(e => e.Messages[0].Content.Trim()).ToHashSet();
        var heldOutCounts = DemoCorpus.EvaluationSet(perTask: 0, seed: 1).Where(e => e.Task.StartsWith("count-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * 2 * Enumerable.Range(1, CountingTask.MaxCount).Count(HeldOutRule.IsHeldOutCount), heldOutCounts.Count);
        Assert.DoesNotContain(heldOutCounts, e => trainedPrompts.Contains(e.Messages[0].Content.Trim()));
    }

    [Fact]
    public void The_seeds_count_to_128_is_drawn_often_in_training_and_never_held_out()
    {
        var task = new CountingTask(down: false);
        var random = new Random(3);
        var counts = Enumerable.Range(0, 2000).Select(_ => task.Generate(random, DemoSplit.Train).Answer.Split(", ").Length).ToList();
        int seedCounts = counts.Count(n => n == CountingTask.MaxCount);
        Assert.InRange(seedCounts, 2000 / CountingTask.SeedCountOneIn * 8 / 10, 2000 / CountingTask.SeedCountOneIn * 12 / 10 + 2000 / 116);
        Assert.True(counts.Distinct().Count() > 100);
        var heldOut = Enumerable.Range(0, 200).Select(_ => task.Generate(random, DemoSplit.HeldOut).Answer.Split(", ").Length);
        Assert.DoesNotContain(CountingTask.MaxCount, heldOut);
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
        Assert.Contains(calls, e => e.Tools.All(t => t.Name.Contains("_get_", StringComparison.Ordinal)));
        Assert.Contains(calls, e => e.Tools.Count == 1);
    }

    /// <summary>What Semantic Kernel 1.82 sends for a <c>demo</c> plugin's <c>get_weather</c> kernel function, as the
    /// template renders it (seen through DllmChatClient; Dllm.AI.Tests replays corpus examples through a real kernel).</summary>
    private const string SemanticKernelWeather =
        """{"type": "function", "function": {"name": "demo_get_weather", "description": "Get the current weather in a city.", "parameters": {"type": "object", "condition": "Get the current weather in a city.", "properties": {"city": {"description": "The city name.", "type": "string"}}, "required": ["city"]}}}""";

    /// <summary>What <c>AIFunctionFactory.Create(GetWeather, "get_weather")</c> sends, as the template renders it.</summary>
    private const string ExtensionsAIWeather =
        """{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city.", "parameters": {"type": "object", "properties": {"city": {"description": "The city name.", "type": "string"}}, "required": ["city"]}}}""";

    private const string OpenAIWeather =
        """{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city name."}}, "required": ["city"]}}}""";

    [Theory]
    [InlineData("demo_", ToolSchemaStyle.SemanticKernel, SemanticKernelWeather)]
    [InlineData("", ToolSchemaStyle.ExtensionsAI, ExtensionsAIWeather)]
    [InlineData("", ToolSchemaStyle.OpenAI, OpenAIWeather)]
    public void Each_presentation_renders_the_tools_block_its_host_sends(string prefix, ToolSchemaStyle schema, string expected)
    {
        var tools = ToolTask.Describe(new ToolPresentation(prefix, schema), ["get_weather"]);
        Assert.Contains("<tools>\n" + expected + "\n</tools>", ChatTemplate.Render([ChatTurn.User("What is the weather in Paris?")], tools));
    }

    [Fact]
    public void The_tool_task_presents_its_functions_as_each_host_does_in_proportion()
    {
        var examples = DemoCorpus.Generate(4000, seed: 7, DemoSplit.Train).Where(e => e.Task.StartsWith("tool-", StringComparison.Ordinal)).ToList();
        ToolPresentation PresentationOf(DemoExample e)
        {
            string name = e.Tools[0].Name;
            string prefix = name[..name.IndexOf("get_", StringComparison.Ordinal)];
            var presentation = Enum.GetValues<ToolSchemaStyle>().Select(s => new ToolPresentation(prefix, s))
                .Single(p => ToolTask.Describe(p, e.Tools.Select(t => t.Name[prefix.Length..])).SequenceEqual(e.Tools));
            return presentation;
        }
        var presentations = examples.Select(PresentationOf).ToList();
        double Share(Func<ToolPresentation, bool> which) => presentations.Count(which) / (double)presentations.Count;
        Assert.InRange(Share(p => p.Schema == ToolSchemaStyle.SemanticKernel && p.Prefix.EndsWith('_')), 0.33, 0.47);
        Assert.InRange(Share(p => p.Schema == ToolSchemaStyle.ExtensionsAI && p.Prefix == ""), 0.23, 0.37);
        Assert.InRange(Share(p => p.Schema == ToolSchemaStyle.OpenAI && p.Prefix == ""), 0.14, 0.26);
        Assert.InRange(Share(p => p.Schema == ToolSchemaStyle.OpenAI && p.Prefix.EndsWith('-')), 0.06, 0.14);
        Assert.Equal(1.0, Share(p => p.Prefix == "" || ToolPresentation.PluginNames.Contains(p.Prefix[..^1])), 6);
        Assert.Equal(ToolPresentation.PluginNames.Order(), presentations.Where(p => p.Prefix.EndsWith('_')).Select(p => p.Prefix[..^1]).Distinct().Order());
        // The SK presentation's calls and answers name the prefixed function.
        Assert.All(examples.Where(e => e.Task == "tool-call" && e.Tools[0].Name.Contains("_get_", StringComparison.Ordinal)),
            e => Assert.Contains("{\"name\": \"" + e.Tools[0].Name.Split("get_")[0] + "get_", e.Answer));
    }

    [Fact]
    public void Held_out_tool_questions_are_never_trained_in_any_presentation()
    {
        static IEnumerable<string> ToolKeys(IEnumerable<DemoExample> examples) =>
            examples.Where(e => e.Task.StartsWith("tool-", StringComparison.Ordinal)).Select(e => e.Messages[0].Content + (e.Messages.Count > 2 ? e.Messages[2].Content : ""));
        var train = ToolKeys(DemoCorpus.Generate(3000, seed: 8, DemoSplit.Train)).ToHashSet();
        var heldOut = ToolKeys(DemoCorpus.Generate(1000, seed: 8, DemoSplit.HeldOut)).ToList();
        Assert.NotEmpty(heldOut);
        Assert.All(heldOut, key => Assert.True(HeldOutRule.IsHeldOut(key)));
        Assert.DoesNotContain(heldOut, train.Contains);
        // Tool calls are keyed by their question alone: a held-out question is never a trained call in another presentation.
        var trainedQuestions = DemoCorpus.Generate(3000, seed: 8, DemoSplit.Train).Where(e => e.Task == "tool-call").Select(e => e.Messages[0].Content).ToHashSet();
        Assert.DoesNotContain(DemoCorpus.Generate(1000, seed: 8, DemoSplit.HeldOut).Where(e => e.Task == "tool-call"), e => trainedQuestions.Contains(e.Messages[0].Content));
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
