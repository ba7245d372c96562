-- One database per service: no service reads another's.
CREATE DATABASE invoicing;
CREATE DATABASE accounting;
