using Platform.Cli;
using Platform.Cli.Commands;

ICommand[] commands =
[
    new UpCommand(),
    new DownCommand(),
    new StatusCommand(),
    new TestCommand(),
    new SimulateCommand(),
    new GenerateCommand(),
    new EngineBenchCommand(),
    new FinetuneBenchCommand(),
    new GatewayBenchCommand(),
    new ServingBenchCommand(),
    new IngestBenchCommand(),
    new EvalRetrievalCommand(),
    new WorkerCommand(),
];

if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
{
    Console.WriteLine("usage: ./platform COMMAND [options]\n");
    foreach (var c in commands)
    {
        Console.WriteLine($"  {c.Name,-14} {c.Summary}");
    }
    return args.Length == 0 ? 2 : 0;
}

var command = commands.FirstOrDefault(c => c.Name == args[0]);
if (command is null)
{
    Console.Error.WriteLine($"platform: unknown command '{args[0]}'. Run ./platform help for the list.");
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
try
{
    return await command.RunAsync(args[1..], cts.Token);
}
catch (CommandLineError e)
{
    Console.Error.WriteLine($"platform {command.Name}: {e.Message}");
    return 2;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    return 130;
}
