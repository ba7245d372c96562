from accounting.entrypoints.cli import main

main()
