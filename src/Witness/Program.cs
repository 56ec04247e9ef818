using Witness.Cli;

return await WitnessCli.RunAsync(args);
