from integration_worker.entrypoints.cli import main

main()
