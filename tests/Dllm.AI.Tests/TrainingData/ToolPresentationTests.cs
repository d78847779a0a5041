using System.ComponentModel;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Training.Data;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace Dllm.AI.Tests.TrainingData;

/// <summary>
/// The demo model's tool examples replayed through the real clients: a Semantic Kernel plugin and
/// <c>AIFunctionFactory</c> functions named and described as an example's tools block, a scripted model writing the
/// example's call; the prompt the client sends is the example's prompt, character for character (the call's prompt
/// for a tool-call example, the prompt after the observation for a tool-answer one).
/// </summary>
public sealed class ToolPresentationTests
{
    private static readonly IReadOnlyList<DemoExample> Corpus = DemoCorpus.Generate(3000, seed: 11, DemoSplit.Train);

    /// <summary>Examples of <paramref name="task"/> whose tools are presented as <paramref name="schema"/> writes them.</summary>
    private static IEnumerable<DemoExample> Examples(string task, ToolSchemaStyle schema) => Corpus.Where(e => e.Task == task && Presentation(e).Schema == schema);

    private static ToolPresentation Presentation(DemoExample example)
    {
        string name = example.Tools[0].Name;
        string prefix = name[..name.IndexOf("get_", StringComparison.Ordinal)];
        return Enum.GetValues<ToolSchemaStyle>().Select(s => new ToolPresentation(prefix, s))
            .Single(p => ToolTask.Describe(p, Functions(example, p)).SequenceEqual(example.Tools));
    }

    private static IEnumerable<string> Functions(DemoExample example, ToolPresentation presentation) =>
        example.Tools.Select(t => t.Name[presentation.Prefix.Length..]);

    /// <summary>What a function of the example returns: the example's observation (the tool-call examples have none).</summary>
    private static string Observation(DemoExample example) => example.Messages.Count > 2 ? example.Messages[2].Content : "{}";

    /// <summary>The example's call, written by the scripted model; then any answer once it sees a tool response.</summary>
    private static ScriptedGenerator Model(DemoExample example, string call) =>
        new(prompt => [prompt.Contains("<tool_response>", StringComparison.Ordinal) ? "done" : call]);

    private static string CallOf(DemoExample example) => example.Task == "tool-call"
        ? example.Answer
        : ToolTask.CallText(example.Messages[1].ToolCalls[0].Name, example.Messages[0].Content.Split(' ')[^1].TrimEnd('?'));

    /// <summary>The prompt of the example among the client's prompts: the first for a call, the second for an answer.</summary>
    private static string SentPrompt(DemoExample example, ScriptedGenerator model) => model.Prompts[example.Task == "tool-call" ? 0 : 1];

    public static TheoryData<string> Tasks => new() { "tool-call", "tool-answer" };

    [Theory]
    [MemberData(nameof(Tasks))]
    public async Task Semantic_Kernel_plugin_functions_send_exactly_the_prompts_of_the_Semantic_Kernel_examples(string task)
    {
        var examples = Examples(task, ToolSchemaStyle.SemanticKernel).Take(12).ToList();
        Assert.True(examples.Count >= 10, $"{examples.Count} examples");
        foreach (var example in examples)
        {
            var presentation = Presentation(example);
            Assert.EndsWith("_", presentation.Prefix);
            var model = Model(example, CallOf(example));
            var builder = Kernel.CreateBuilder().AddDllmChatClient(model);
            builder.Plugins.Add(KernelPluginFactory.CreateFromFunctions(presentation.Prefix[..^1], Functions(example, presentation).Select(name =>
                KernelFunctionFactory.CreateFromMethod(([Description("The city name.")] string city) => Observation(example), name,
                    ToolTask.Functions.Single(f => f.Name == name).Description))));
            var kernel = builder.Build();

            await kernel.InvokePromptAsync(example.Messages[0].Content,
                new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

            Assert.Equal(example.Prompt.Text, SentPrompt(example, model));
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public async Task AIFunctionFactory_functions_send_exactly_the_prompts_of_the_Extensions_AI_examples(string task)
    {
        var examples = Examples(task, ToolSchemaStyle.ExtensionsAI).Take(12).ToList();
        Assert.True(examples.Count >= 10, $"{examples.Count} examples");
        foreach (var example in examples)
        {
            var presentation = Presentation(example);
            var model = Model(example, CallOf(example));
            using var client = new DllmChatClient(model).AsBuilder().UseFunctionInvocation().Build();
            var options = new ChatOptions
            {
                Tools = [.. Functions(example, presentation).Select(name => AIFunctionFactory.Create(
                    ([Description("The city name.")] string city) => Observation(example), presentation.Prefix + name,
                    ToolTask.Functions.Single(f => f.Name == name).Description))],
            };

            await client.GetResponseAsync(example.Messages[0].Content, options);

            Assert.Equal(example.Prompt.Text, SentPrompt(example, model));
        }
    }
}
