using System.CommandLine;
using Dllm.Model;
using TorchSharp;

namespace Dllm.Cli;

/// <summary><c>dllm plan</c>: the memory plan of a layer split over N GPUs, printed without loading anything.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var modelPath = new Option<string?>("--model-path") { Description = "A model directory (its config.json); else --shape." };
        var shape = new Option<string>("--shape") { Description = "mini, flash, mini-N, flash-N when no --model-path.", DefaultValueFactory = _ => "flash" };
        var gpus = new Option<string>("--gpus") { Description = "GPU counts to plan for, comma separated.", DefaultValueFactory = _ => "2,4,8" };
        var memory = new Option<double>("--gpu-memory-gb") { Description = "Memory of one GPU, GB.", DefaultValueFactory = _ => 141 };
        var slots = new Option<int>("--max-running-requests") { Description = "Requests whose whole context the K/V page pool holds (the default pool size: max-running-requests x context-length positions).", DefaultValueFactory = _ => 16 };
        var context = new Option<int>("--context-length") { Description = "Positions per request (context length).", DefaultValueFactory = _ => 8192 };
        var command = new Command("plan", "Print how a model's layers split over N GPUs and whether weights + K/V cache fit (loads nothing).")
        {
            modelPath, shape, gpus, memory, slots, context,
        };
        command.SetAction(parse =>
        {
            string? path = parse.GetValue(modelPath);
            var config = path is null ? LLaDA2Shapes.ByName(parse.GetValue(shape)!) : LLaDA2Config.Load(Path.Combine(path, "config.json"));
            Console.WriteLine($"model: {path ?? parse.GetValue(shape)} ({config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumExperts} experts), bf16");
            foreach (int n in parse.GetValue(gpus)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
            {
                var placement = ModelPlacement.Balanced(config, Enumerable.Range(0, n).Select(i => new torch.Device(DeviceType.CUDA, i)).ToList());
                Console.WriteLine();
                Console.WriteLine($"{n} GPU(s) of {parse.GetValue(memory):F0} GB: --device-map {string.Join(",", placement.Stages.Select(s => $"{s.FirstLayer}-{s.EndLayer - 1}:{s.Device}"))}");
                Console.Write(MemoryPlan.Describe(config, placement, parse.GetValue(slots), parse.GetValue(context), parse.GetValue(memory)));
            }
            return 0;
        });
        return command;
    }
}
