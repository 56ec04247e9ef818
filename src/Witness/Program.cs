using Witness.Cli;

return await WitnessCli.Build().Parse(args).InvokeAsync();
